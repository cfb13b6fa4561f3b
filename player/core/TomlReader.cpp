#include "TomlReader.hpp"

#include "Result.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace milepost {

namespace {
std::string syntax_message(const std::string& label, const toml::parse_error& e) {
    std::ostringstream s;
    s << label << ":" << e.source().begin.line << ": TOML syntax error: " << e.description();
    return s.str();
}
} // namespace

toml::table parse_toml_file(const std::string& path) {
    // Read it ourselves so that a missing or unreadable file gets the system's reason.
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw ConfigError(path + ": cannot read: " + std::strerror(errno));
    try {
        return toml::parse(in, path);
    } catch (const toml::parse_error& e) {
        throw ConfigError(syntax_message(path, e));
    }
}

toml::table parse_toml_string(std::string_view text, const std::string& label) {
    try {
        return toml::parse(text, label);
    } catch (const toml::parse_error& e) {
        throw ConfigError(syntax_message(label, e));
    }
}

std::string describe(const toml::node& node) {
    std::ostringstream s;
    switch (node.type()) {
    case toml::node_type::string: {
        std::string v = **node.as_string();
        if (v.size() > 60)
            v = v.substr(0, 57) + "...";
        s << '"' << v << '"';
        return s.str();
    }
    case toml::node_type::integer:
        s << "an integer (" << **node.as_integer() << ")";
        break;
    case toml::node_type::floating_point:
        s << "a number (" << **node.as_floating_point() << ")";
        break;
    case toml::node_type::boolean:
        s << (**node.as_boolean() ? "true" : "false");
        break;
    case toml::node_type::array:
        s << "an array";
        break;
    case toml::node_type::table:
        s << "a table";
        break;
    default:
        s << "a date or time";
        break;
    }
    return s.str();
}

TomlReader::TomlReader(std::string file, std::string where, const toml::table& table)
    : m_file(std::move(file)), m_where(std::move(where)), m_table(table) {}

std::string TomlReader::prefix(std::string_view key) const {
    std::string p = m_file + ": ";
    if (!m_where.empty())
        p += m_where + " ";
    p += key;
    return p;
}

void TomlReader::fail(std::string_view key, std::string_view expected) const {
    std::string msg = prefix(key) + ": expected " + std::string(expected);
    if (const toml::node* n = m_table.get(key))
        msg += ", got " + describe(*n);
    throw ConfigError(msg);
}

const toml::node* TomlReader::find(std::string_view key) {
    m_seen.emplace(key);
    return m_table.get(key);
}

std::optional<std::string> TomlReader::string(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return std::nullopt;
    if (!n->is_string())
        fail(key, "a string");
    return **n->as_string();
}

std::optional<std::int64_t> TomlReader::integer(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return std::nullopt;
    if (!n->is_integer())
        fail(key, "an integer");
    return **n->as_integer();
}

std::optional<double> TomlReader::number(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return std::nullopt;
    if (n->is_integer())
        return static_cast<double>(**n->as_integer());
    if (!n->is_floating_point())
        fail(key, "a number");
    return **n->as_floating_point();
}

std::optional<bool> TomlReader::boolean(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return std::nullopt;
    if (!n->is_boolean())
        fail(key, "true or false");
    return **n->as_boolean();
}

std::optional<std::vector<std::string>> TomlReader::strings(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return std::nullopt;
    const toml::array* a = n->as_array();
    if (!a)
        fail(key, "an array of strings");
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
        if (!e.is_string())
            throw ConfigError(prefix(key) + ": expected an array of strings, got " + describe(e) +
                              " in it");
        out.push_back(**e.as_string());
    }
    return out;
}

const toml::table* TomlReader::table(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return nullptr;
    if (!n->is_table())
        fail(key, "a table");
    return n->as_table();
}

const toml::array* TomlReader::tables(std::string_view key) {
    const toml::node* n = find(key);
    if (!n)
        return nullptr;
    const toml::array* a = n->as_array();
    if (!a || !a->is_array_of_tables())
        fail(key, "an array of tables ([[" + std::string(key) + "]])");
    return a;
}

std::vector<std::string> TomlReader::unknown_keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : m_table)
        if (!m_seen.contains(k.str()))
            out.push_back(prefix(k.str()) + ": unknown key (ignored)");
    return out;
}

} // namespace milepost
