#pragma once
// Reading the player's --trace file in tests.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace milepost::test {

inline std::vector<nlohmann::json> read_trace(const std::filesystem::path& file) {
    std::vector<nlohmann::json> events;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);)
        if (!line.empty())
            events.push_back(nlohmann::json::parse(line));
    return events;
}

// What the trace says of one play of an item.
struct Play {
    std::string item;
    double start = -1, end = -1;
    std::vector<double> frame_times, frame_pts;
    long dropped = -1;
    std::string start_detail; // "joined at 774 ms" when the plan was joined part way
    std::string end_detail;
    // How far into the item it started (0 unless joined part way).
    double joined_seconds() const {
        const auto at = start_detail.find("joined at ");
        return at == std::string::npos ? 0.0 : std::stod(start_detail.substr(at + 10)) / 1000.0;
    }
};

// Every play in order; errors are collected by item id.
inline std::vector<Play> plays(const std::vector<nlohmann::json>& events,
                               std::map<std::string, std::vector<double>>* errors = nullptr) {
    std::vector<Play> out;
    for (const auto& e : events) {
        const std::string ev = e["event"], item = e["item"];
        const double t = e["t"];
        if (ev == "item_start") {
            Play play;
            play.item = item;
            play.start = t;
            play.start_detail = e.value("detail", "");
            out.push_back(std::move(play));
        } else if (ev == "frame" && !out.empty()) {
            out.back().frame_times.push_back(t);
            out.back().frame_pts.push_back(e["pts"]);
        } else if (ev == "item_end" && !out.empty()) {
            out.back().end = t;
            out.back().end_detail = e.value("detail", "");
            auto pos = out.back().end_detail.find("dropped=");
            if (pos != std::string::npos)
                out.back().dropped = std::stol(out.back().end_detail.substr(pos + 8));
        } else if (ev == "error" && errors) {
            (*errors)[item].push_back(t);
        }
    }
    return out;
}

// The plays of items that did not fail (a file that fails as it opens has a start
// too); the failures by item id in `errors`.
inline std::vector<Play> plays_shown(const std::filesystem::path& trace,
                                     std::map<std::string, std::vector<double>>& errors) {
    std::vector<Play> shown;
    for (Play& p : plays(read_trace(trace), &errors))
        if (!errors.count(p.item))
            shown.push_back(std::move(p));
    return shown;
}

} // namespace milepost::test
