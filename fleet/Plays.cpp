#include "Plays.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace milepost::fleet {

namespace {

struct Key {
    const char* name;
    const char* rollup; // its expression over daily d, or nullptr: needs the rows
    const char* raw;    // over plays p
};

const Key kKeys[] = {
    {"item", "d.item_id", "p.item_id"},
    {"site", "coalesce(s.site, '')", "coalesce(s.site, '')"},
    {"region", "coalesce(s.region, '')", "coalesce(s.region, '')"},
    {"lang", "d.lang", "coalesce(p.lang, '')"},
    {"day", "d.day", "substr(p.started_at, 1, 10)"},
    {"hour", nullptr, "substr(p.started_at, 12, 2)"},
};

const Key* find_key(std::string_view name) {
    for (const Key& k : kKeys)
        if (name == k.name)
            return &k;
    return nullptr;
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos)
        return s;
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

Result<std::vector<std::string>> parse_by(std::string_view text) {
    std::vector<std::string> keys;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = std::min(text.find(',', start), text.size());
        const std::string key(text.substr(start, comma - start));
        if (!find_key(key))
            return Error{"--by: \"" + key + "\" is not one of item, site, region, lang, day, hour"};
        if (std::find(keys.begin(), keys.end(), key) != keys.end())
            return Error{"--by: \"" + key + "\" twice"};
        keys.push_back(key);
        start = comma + 1;
    }
    return keys;
}

Table query_plays(FleetDb& db, const PlaysQuery& query) {
    const bool rollup = std::all_of(query.by.begin(), query.by.end(),
                                    [](const std::string& k) { return find_key(k)->rollup; });
    std::string select, group;
    for (std::size_t i = 0; i < query.by.size(); ++i) {
        const Key* k = find_key(query.by[i]);
        select += std::string(rollup ? k->rollup : k->raw) + " AS \"" + k->name + "\", ";
        group += (i ? ", " : "") + std::to_string(i + 1);
    }
    std::string sql;
    if (rollup) {
        auto outcome = [](const char* o) {
            return std::string("sum(CASE d.outcome WHEN '") + o + "' THEN d.plays ELSE 0 END)";
        };
        sql = "SELECT " + select + "sum(d.plays), " + outcome("completed") + ", " +
              outcome("interrupted") + ", " + outcome("skipped") + ", " + outcome("failed") +
              ", sum(d.duration_ms), count(DISTINCT d.device_id) FROM daily d " +
              (query.chosen_only ? "JOIN temp.chosen c ON c.device_id = d.device_id " : "") +
              "LEFT JOIN screens s ON s.device_id = d.device_id WHERE d.day >= ?1 AND d.day <= ?2";
    } else {
        auto outcome = [](const char* o) { return std::string("sum(p.outcome = '") + o + "')"; };
        // A day's times all start "YYYY-MM-DDT", and "T" < "U".
        sql = "SELECT " + select + "count(*), " + outcome("completed") + ", " +
              outcome("interrupted") + ", " + outcome("skipped") + ", " + outcome("failed") +
              ", sum(p.duration_ms), count(DISTINCT p.device_id) FROM plays p " +
              (query.chosen_only ? "JOIN temp.chosen c ON c.device_id = p.device_id " : "") +
              "LEFT JOIN screens s ON s.device_id = p.device_id WHERE p.started_at >= ?1 AND "
              "p.started_at < ?2 || 'U'";
    }
    if (!group.empty())
        sql += " GROUP BY " + group + " ORDER BY " + group;
    Statement s = db.prepare(sql.c_str());
    s.bind(1, query.from.empty() ? std::string("0000-00-00") : query.from);
    s.bind(2, query.to.empty() ? std::string("9999-99-99") : query.to);

    Table t;
    for (const std::string& k : query.by) {
        t.columns.push_back(k);
        t.numeric.push_back(false);
    }
    for (const char* c :
         {"plays", "completed", "interrupted", "skipped", "failed", "hours", "screens"}) {
        t.columns.push_back(c);
        t.numeric.push_back(true);
    }
    const int keys = static_cast<int>(query.by.size());
    while (s.step()) {
        if (s.is_null(keys)) // no plays at all: one empty row from the aggregate
            continue;
        std::vector<std::string> row;
        for (int i = 0; i < keys; ++i)
            row.push_back(s.text(i));
        for (int i = keys; i < keys + 5; ++i)
            row.push_back(std::to_string(s.integer(i)));
        char hours[32];
        std::snprintf(hours, sizeof hours, "%.2f",
                      static_cast<double>(s.integer(keys + 5)) / 3.6e6);
        row.push_back(hours);
        row.push_back(std::to_string(s.integer(keys + 6)));
        t.rows.push_back(std::move(row));
    }
    return t;
}

std::string format_csv(const Table& t) {
    std::string out;
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict) of a false overlap
    // in `(i ? "," : "") + csv_field(...)`.
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        out.append(i ? "," : "").append(csv_field(t.columns[i]));
    out += "\r\n";
    for (const auto& row : t.rows) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            // A site name a screen reported that starts like a formula ("=HYPERLINK(")
            // is text in a spreadsheet, not a formula.
            const bool formula = !t.numeric[i] && !row[i].empty() &&
                                 std::string_view("=+-@\t\r").find(row[i][0]) != std::string::npos;
            out.append(i ? "," : "").append(csv_field(formula ? "'" + row[i] : row[i]));
        }
        out += "\r\n";
    }
    return out;
}

std::string format_json(const Table& t) {
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (const auto& row : t.rows) {
        nlohmann::ordered_json j;
        for (std::size_t i = 0; i < row.size(); ++i)
            if (t.numeric[i])
                j[t.columns[i]] = nlohmann::ordered_json::parse(row[i]);
            else
                j[t.columns[i]] = row[i];
        rows.push_back(std::move(j));
    }
    return rows.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string format_table(const Table& t) {
    std::vector<std::size_t> width(t.columns.size());
    for (std::size_t i = 0; i < t.columns.size(); ++i)
        width[i] = t.columns[i].size();
    for (const auto& row : t.rows)
        for (std::size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], row[i].size());
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t i = 0; i < cells.size(); ++i) {
            const std::string pad(width[i] - std::min(width[i], cells[i].size()), ' ');
            out += (i ? "  " : "") + (t.numeric[i] ? pad + cells[i] : cells[i] + pad);
        }
        while (!out.empty() && out.back() == ' ')
            out.pop_back();
        return out + "\n";
    };
    std::string out = line(t.columns);
    for (const auto& row : t.rows)
        out += line(row);
    if (t.rows.empty())
        out += "(no plays in the range)\n";
    return out;
}

} // namespace milepost::fleet
