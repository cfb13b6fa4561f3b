#pragma once
// `milepost-fleet plays`: plays counted by item, site, region, language, day or
// hour, over a range of days, as CSV, JSON or a table for a terminal.
#include "FleetDb.hpp"
#include "core/Result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace milepost::fleet {

// A result: named columns, rows of text; numeric columns are right-aligned in a
// table and numbers in JSON.
struct Table {
    std::vector<std::string> columns;
    std::vector<bool> numeric;
    std::vector<std::vector<std::string>> rows;
};

struct PlaysQuery {
    std::vector<std::string> by; // item, site, region, lang, day, hour
    std::string from, to;        // "YYYY-MM-DD", UTC days, inclusive; "" = open
    bool chosen_only = false;    // only the devices in the table temp.chosen (the report's)
};

// "item,day" -> {"item", "day"}; the error names the key that is not one of them.
Result<std::vector<std::string>> parse_by(std::string_view text);

// Per group: plays (every row), completed, interrupted, skipped, failed, hours on
// screen and screens (distinct devices). Read from the daily roll-ups unless a key
// needs the rows themselves (hour).
Table query_plays(FleetDb& db, const PlaysQuery& query);

std::string format_csv(const Table& table);
std::string format_json(const Table& table);
std::string format_table(const Table& table);

} // namespace milepost::fleet
