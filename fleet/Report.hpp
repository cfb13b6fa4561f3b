#pragma once
// `milepost-fleet report`: a static site from FLEET.db that opens from file:// and
// that nginx serves as it is: index.html (the fleet at a glance), items.html (per
// item, for sponsors), screens/<device>.html (one screen), and CSV beside them.
// Charts are Chart.js (Debian's libjs-chart.js), copied in; nothing is fetched.
#include "FleetDb.hpp"
#include "core/Result.hpp"
#include "core/Units.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace milepost::fleet {

// Where Debian's libjs-chart.js puts Chart.js.
inline constexpr const char* kChartJs = "/usr/share/javascript/chart.js/chart.min.js";

// How long a screen may go without reporting.
inline constexpr std::chrono::minutes kStaleAfter{15};
inline constexpr std::chrono::minutes kOfflineAfter{60};
inline constexpr int kPlayingPolls = 3;

// A screen's state, by these rules (printed on index.html):
//   never reported  no status.json read from it (only plays or a screenshot)
//   offline         no report for over an hour
//   stale           no report for over 15 minutes, or for over 3 of its polls
//   attention       reporting, but something is wrong: the reasons name it
//   playing         reporting, nothing wrong
struct ScreenState {
    std::string state;                // as above
    std::vector<std::string> reasons; // for attention (and why stale/offline)
};

inline constexpr std::chrono::hours kPendingTooLong{24};

// `status`: the newest status.json (null when none was read); `age`: how long
// before `now` it was reported; `failed_last_day`: failed plays today or yesterday.
ScreenState classify_screen(const nlohmann::json& status, std::chrono::seconds age,
                            std::int64_t failed_last_day, WallTime now);

struct ReportOptions {
    std::filesystem::path out;
    std::string from, to;  // "YYYY-MM-DD", UTC; "" = the 30 days to `now`
    std::string site_glob; // fnmatch(3) on the site name; "" = all
    std::string region;    // "US" matches US and US-*; "" = all
    WallTime now;
    std::filesystem::path chart_js = kChartJs;
};

struct ReportSummary {
    int screens = 0;
    std::vector<std::pair<std::string, int>> states; // in the page's order
    std::int64_t plays = 0;
    std::int64_t pages = 0;
    bool charts = true; // false: Chart.js was not found, the pages have tables only
};

Result<ReportSummary> write_report(FleetDb& db, const ReportOptions& options);

} // namespace milepost::fleet
