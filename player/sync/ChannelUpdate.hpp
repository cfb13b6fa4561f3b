#pragma once
// One update of the screen's channel: the manifest fetched (conditionally), its
// signature and contents checked, the missing objects fetched and verified, and
// the new version activated — or, on any fault, the active channel left as it was.
#include "HttpClient.hpp"
#include "core/DeviceConfig.hpp"
#include "store/ContentStore.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace milepost {

enum class UpdateOutcome {
    Unchanged, // the server has nothing newer (a 304, or the same sequence)
    Updated,   // a newer version is now active
};

struct UpdateReport {
    UpdateOutcome outcome = UpdateOutcome::Unchanged;
    std::string summary;       // one line for the log and the status
    std::int64_t sequence = 0; // the active sequence afterwards
    std::uint64_t bytes_fetched = 0;
};

// `tick` is called often during long work (the systemd watchdog). Errors say
// what was refused or what failed, naming the URL, item or object.
Result<UpdateReport> update_channel(HttpClient& http, ContentStore& store,
                                    const DeviceConfig::Content& content,
                                    const std::function<void()>& tick = {});

// "https://host/path/" + "channels/x": the server URL with exactly one slash between.
std::string join_url(const std::string& base, const std::string& path);

} // namespace milepost
