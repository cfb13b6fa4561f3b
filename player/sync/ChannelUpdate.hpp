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

// GET `url` into `partial` until it holds `size` bytes, resumed from what it holds
// (a larger file is started over; after a 416 it is removed, so that the next try
// starts over). `progress` is told the bytes each step fetched; returns them all.
Result<std::uint64_t> download_resumed(HttpClient& http, const std::string& url,
                                       const std::filesystem::path& partial, std::uint64_t size,
                                       const std::function<void(std::uint64_t)>& progress = {});

// "https://host/path/" + "channels/x": the server URL with exactly one slash between.
std::string join_url(const std::string& base, const std::string& path);

} // namespace milepost
