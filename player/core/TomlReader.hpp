#pragma once
// Typed access to one TOML table with error messages that name the file, the
// table and the key: `device.toml: [display] rotation: expected 0, 90, 180 or 270, got 45`.
// Keys that were never asked for are reported by unknown_keys() as warnings.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace milepost {

// Parses a whole TOML file; a syntax error throws ConfigError naming file and line.
toml::table parse_toml_file(const std::string& path);
toml::table parse_toml_string(std::string_view text, const std::string& label);

class TomlReader {
public:
    // `file` and `where` ("[display]", "item \"lot-en\"") prefix every message.
    TomlReader(std::string file, std::string where, const toml::table& table);

    std::optional<std::string> string(std::string_view key);
    std::optional<std::int64_t> integer(std::string_view key);
    std::optional<double> number(std::string_view key); // integer or float
    std::optional<bool> boolean(std::string_view key);
    std::optional<std::vector<std::string>> strings(std::string_view key);
    const toml::table* table(std::string_view key);
    const toml::array* tables(std::string_view key); // an array of tables

    [[noreturn]] void fail(std::string_view key, std::string_view expected) const;
    std::string prefix(std::string_view key) const;

    // "file: [table] key: unknown key (ignored)" for each key never asked for.
    std::vector<std::string> unknown_keys() const;
    const std::string& file() const { return m_file; }

private:
    const toml::node* find(std::string_view key);
    std::string m_file;
    std::string m_where;
    const toml::table& m_table;
    std::set<std::string, std::less<>> m_seen;
};

// `"ftp://x"`, `an integer (45)`, `an array`: what the user wrote, for messages.
std::string describe(const toml::node& node);

} // namespace milepost
