#pragma once
// What milepost-sync tells the player about the device (DATA_DIR/sync.json): the
// network, which the player cannot see (it has none of its own), and how the
// last sync went. Shown on the boot card and the diagnostics overlay.
#include "LogUpload.hpp"

#include <optional>
#include <string>
#include <vector>

namespace milepost {

struct NetInterface {
    std::string name;
    bool wifi = false;
    std::vector<std::string> addresses; // IPv4 first, then IPv6 (link-local left out)
    std::optional<int> signal_dbm;      // Wi-Fi only, from /proc/self/net/wireless
};

// The interfaces that are up and have an address, loopback left out.
std::vector<NetInterface> network_interfaces();
// The signal level of `interface` in a /proc/net/wireless text, in dBm.
std::optional<int> wireless_signal(const std::string& proc_net_wireless,
                                   const std::string& interface);

// DATA_DIR/sync.json's text.
std::string sync_status_json(const SyncFacts& facts, bool has_server,
                             const std::vector<NetInterface>& network, WallTime now);

} // namespace milepost
