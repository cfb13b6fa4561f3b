#include "StatusCard.hpp"

#include "core/JsonFields.hpp"

#include <cstdio>

namespace milepost {

std::string throttled_text(const std::string& hex) {
    unsigned long bits = 0;
    try {
        bits = std::stoul(hex, nullptr, 16);
    } catch (const std::exception&) {
        return "unknown (" + hex + ")";
    }
    // The low bits say what holds now; the same bits 16 higher, since boot.
    constexpr std::pair<unsigned long, const char*> kBits[] = {{0x1, "under-voltage"},
                                                               {0x2, "frequency capped"},
                                                               {0x4, "throttled"},
                                                               {0x8, "soft temperature limit"}};
    std::string now, since;
    auto add = [](std::string& s, const char* what) {
        s += (s.empty() ? "" : ", ") + std::string(what);
    };
    for (const auto& [bit, what] : kBits) {
        if (bits & bit)
            add(now, what);
        if (bits & (bit << 16))
            add(since, what);
    }
    if (now.empty() && since.empty())
        return "not throttled";
    std::string out = now.empty() ? "not now" : "now: " + now;
    if (!since.empty())
        out += "; since boot: " + since;
    return out;
}

namespace {

// What stops the screen from working as it should, first on the card.
void add_status_warnings(InfoCard& card, const StatusInputs& in) {
    const DeviceConfig& c = *in.config;
    if (c.device.site.empty())
        card.warnings.push_back(
            "Not provisioned: no site in the config (milepost-provision write)");
    if (!in.config_problem.empty())
        card.warnings.push_back("Config error: " + in.config_problem);
    if (!in.data_problem.empty()) {
        // One line from a root-written file: no control characters, bounded.
        std::string line = in.data_problem.substr(0, in.data_problem.find('\n')).substr(0, 300);
        for (char& ch : line)
            if (static_cast<unsigned char>(ch) < 0x20)
                ch = ' ';
        card.warnings.push_back(line);
    }
    if (c.content.public_key.empty())
        card.warnings.push_back("No content key: only the built-in channel can play");
}

// sync.json's object; an empty one when there is none or it cannot be read.
nlohmann::json status_sync_json(const std::string& text) {
    nlohmann::json sync = nlohmann::json::object();
    if (!text.empty()) {
        try {
            sync = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception&) {
            // Half written: as if there were none.
        }
        if (!sync.is_object())
            sync = nlohmann::json::object();
    }
    return sync;
}

// Each interface milepost-sync reported: its addresses and how it connects.
std::string status_network_text(const nlohmann::json& sync) {
    if (!sync.contains("network") || !sync["network"].is_array())
        return "not known yet (milepost-sync has not reported)";
    std::string network;
    for (const auto& n : sync["network"]) {
        std::string one = text_at(n, "interface");
        if (one.empty())
            one = "?";
        if (auto a = n.find("addresses"); a != n.end() && a->is_array())
            for (const auto& address : *a)
                if (address.is_string())
                    one += " " + address.get<std::string>();
        if (text_at(n, "kind") == "wifi") {
            const auto dbm = integer_at(n, "signal_dbm");
            one += dbm ? ", Wi-Fi " + std::to_string(*dbm) + " dBm" : std::string(", Wi-Fi");
        } else {
            one += ", wired";
        }
        network += (network.empty() ? "" : "; ") + one;
    }
    if (network.empty())
        network = "no address: not connected";
    return network;
}

std::string status_last_sync_text(const nlohmann::json& sync, const DeviceConfig& c) {
    const auto server = sync.find("server");
    if (!(server != sync.end() && server->is_boolean() ? server->get<bool>()
                                                       : !c.content.server.empty()))
        return "no content server set";
    if (text_at(sync, "last_sync").empty())
        return "not yet";
    return text_at(sync, "last_sync") + ": " + text_at(sync, "last_sync_result");
}

std::string status_cpu_text(const StatusInputs& in) {
    std::string cpu = "temperature unknown";
    if (in.cpu_temp_c) {
        char t[32];
        std::snprintf(t, sizeof t, "%.1f °C", *in.cpu_temp_c);
        cpu = t;
    }
    if (!in.throttled.empty())
        cpu += ", " + throttled_text(in.throttled);
    return cpu;
}

// The diagnostics overlay's extra rows: how well the screen keeps up.
void add_status_diagnostics(InfoCard& card, const StatusInputs& in, const nlohmann::json& sync) {
    card.rows.push_back(
        {"Frames", std::to_string(in.frames_dropped_last_hour) + " dropped in the last hour"});
    card.rows.push_back({"CPU", status_cpu_text(in)});
    card.rows.push_back({"Disk free", in.disk_free_mb ? std::to_string(*in.disk_free_mb) + " MB"
                                                      : std::string("unknown")});
    card.rows.push_back({"Plays pending", integer_at(sync, "rows_pending")
                                              ? std::to_string(*integer_at(sync, "rows_pending")) +
                                                    " not yet uploaded"
                                              : std::string("unknown")});
    card.rows.push_back(
        {"Decoder", in.decoder.empty() ? std::string("no video on screen") : in.decoder});
    card.rows.push_back({"Output", in.output});
    card.footer = "Hides itself after 30 s. F1, or a 5-second press in the top-left "
                  "corner, shows it again.";
}

} // namespace

InfoCard status_card(const StatusInputs& in, bool diagnostics) {
    const DeviceConfig& c = *in.config;
    InfoCard card;
    card.title = diagnostics ? "Milepost diagnostics" : "Milepost screen " + c.device.id;
    add_status_warnings(card, in);

    const nlohmann::json sync = status_sync_json(in.sync_json);
    if (diagnostics)
        card.rows.push_back({"Screen", c.device.id});
    card.rows.push_back(
        {"Site", c.device.site.empty()
                     ? std::string("(not set)")
                     : c.device.site + (c.device.region.empty() ? "" : ", " + c.device.region)});
    card.rows.push_back({"Network", status_network_text(sync)});
    card.rows.push_back({"Version", in.version});
    card.rows.push_back(
        {"Channel", in.channel.empty() ? std::string("built-in")
                                       : in.channel + ", sequence " + std::to_string(in.sequence)});
    card.rows.push_back({"Last sync", status_last_sync_text(sync, c)});
    card.rows.push_back({"Clock", in.clock_trusted ? "synchronised"
                                                   : "not synchronised: only items without "
                                                     "time conditions play"});
    if (diagnostics)
        add_status_diagnostics(card, in, sync);
    return card;
}

} // namespace milepost
