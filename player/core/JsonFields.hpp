#pragma once
// Reading a JSON file another program wrote (half written, from another version,
// or edited by hand): a key of another type than expected counts as missing,
// where nlohmann's value() and get() would throw and end the program.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace milepost {

// The string at `key`, or "" (also when `j` is not an object).
inline std::string text_at(const nlohmann::json& j, const char* key) {
    auto it = j.find(key); // end() when `j` is not an object
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The whole number at `key`, or nullopt.
inline std::optional<std::int64_t> integer_at(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer())
        return std::nullopt;
    return it->get<std::int64_t>();
}

} // namespace milepost
