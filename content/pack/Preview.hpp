#pragma once
// milepost-pack preview: a contact sheet of a channel, drawn by the player's own
// rendering code (render/), one thumbnail per item.
#include <map>
#include <string>
#include <vector>

namespace milepost {

// `positional`: SOURCE.toml or SITE; `options`: out, channel, size, region, lang.
// Returns the exit status.
int preview(const std::vector<std::string>& positional,
            const std::map<std::string, std::string>& options);

} // namespace milepost
