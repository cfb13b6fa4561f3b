#include "Network.hpp"

#include "core/Files.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace milepost {

std::optional<int> wireless_signal(const std::string& text, const std::string& interface) {
    // Inter-| sta-|   Quality        |   Discarded packets ...
    //  face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22
    // wlan0: 0000   54.  -56.  -256        0      0      0      0     12        0
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        std::string name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        if (name != interface)
            continue;
        std::istringstream fields(line.substr(colon + 1));
        std::string status, link, level;
        if (!(fields >> status >> link >> level))
            return std::nullopt;
        try {
            return static_cast<int>(std::stod(level));
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::vector<NetInterface> network_interfaces() {
    std::map<std::string, NetInterface> found;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0)
        return {};
    std::map<std::string, std::vector<std::string>> v6;
    for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr || !(a->ifa_flags & IFF_UP) || (a->ifa_flags & IFF_LOOPBACK))
            continue;
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ifa_addr->sa_family == AF_INET) {
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text,
                      sizeof text);
            found[a->ifa_name].addresses.push_back(text);
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
            if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr))
                continue;
            inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
            v6[a->ifa_name].push_back(text);
            found[a->ifa_name];
        }
    }
    freeifaddrs(list);
    auto proc = read_file("/proc/self/net/wireless", 65536);
    const std::string wireless = proc ? *proc : std::string();
    std::vector<NetInterface> out;
    for (auto& [name, nif] : found) {
        nif.name = name;
        for (auto& a : v6[name])
            nif.addresses.push_back(a);
        std::error_code ec;
        nif.wifi = std::filesystem::exists("/sys/class/net/" + name + "/wireless", ec);
        if (nif.wifi)
            nif.signal_dbm = wireless_signal(wireless, name);
        out.push_back(std::move(nif));
    }
    return out;
}

std::string sync_status_json(const SyncFacts& facts, bool has_server,
                             const std::vector<NetInterface>& network, WallTime now) {
    nlohmann::ordered_json j;
    j["written"] = format_rfc3339_utc(now);
    j["server"] = has_server;
    j["last_sync"] = facts.last_sync;
    j["last_sync_result"] = facts.last_sync_result;
    j["rows_pending"] = facts.rows_pending;
    if (!facts.system_version.empty())
        j["system_version"] = facts.system_version;
    if (!facts.system_update.empty()) {
        j["system_update"] = facts.system_update;
        j["system_update_detail"] = facts.system_update_detail;
    }
    auto& list = j["network"] = nlohmann::ordered_json::array();
    for (const auto& n : network) {
        nlohmann::ordered_json one;
        one["interface"] = n.name;
        one["kind"] = n.wifi ? "wifi" : "wired";
        one["addresses"] = n.addresses;
        if (n.signal_dbm)
            one["signal_dbm"] = *n.signal_dbm;
        list.push_back(std::move(one));
    }
    return j.dump(2) + "\n";
}

} // namespace milepost
