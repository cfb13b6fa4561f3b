#pragma once
// The identifiers the device config, the channel source and the manifest share,
// checked in one place: ids, regions and languages.
#include <string_view>

namespace milepost {

bool is_valid_id(std::string_view id);         // [a-z0-9._-], 1..128 characters
bool is_valid_region(std::string_view region); // ISO 3166: "US", "US-TX", "CA-ON"
bool is_valid_language(std::string_view lang); // ISO 639, lower case: "en", "fra"

} // namespace milepost
