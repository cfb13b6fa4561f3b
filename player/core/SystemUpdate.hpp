#pragma once
// Whether a screen takes the system update its channel names (manifest "system"):
// pure rules, no I/O. milepost-sync fetches, checks and installs what they allow.
#include "Channel.hpp"
#include "DeviceConfig.hpp"

#include <string>
#include <string_view>

namespace milepost {

// Debian's order of versions (dpkg --compare-versions, without epochs): digits
// compare as numbers, letters before other marks, "~" before the end. Negative,
// zero or positive as `a` is older than, the same as or newer than `b`.
int compare_versions(std::string_view a, std::string_view b);

// What a screen running `running_version` on board `compatible` does with `bundle`.
struct SystemUpdateChoice {
    enum class Action { None, Install, Refuse } action = Action::None;
    std::string reason; // one line for the journal and status.json
};
SystemUpdateChoice choose_system_update(const SystemBundle& bundle,
                                        const DeviceConfig::Update& update,
                                        std::string_view running_version,
                                        std::string_view compatible);

// Whether `minutes` (minutes since local midnight) falls in `window`.
bool in_update_window(const UpdateWindow& window, int minutes);

} // namespace milepost
