#include "Report.hpp"

#include "Plays.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

namespace milepost::fleet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kStates[] = {"playing", "attention", "stale", "offline", "never reported"};

// The rules as the pages print them.
const char* kRules[][2] = {
    {"playing", "reported within its last 3 polls (and 15 minutes), nothing wrong"},
    {"attention",
     "reporting, but with a sync failure, a settings error, failed plays today or yesterday, "
     "frames dropped in the last hour, throttling or a temperature over 80 °C, under 10% of its "
     "disk free, play rows lost, or rows waiting over a day for upload"},
    {"stale", "no report for over 15 minutes (or over 3 of its polls)"},
    {"offline", "no report for over an hour"},
    {"never reported", "plays or a screenshot came from it, never a status report"},
};

std::string esc(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// JSON to put inside a <script> element: no "<", ">" or "&" at all (they occur
// only inside strings, written as \u escapes), so that no text a screen sent can
// close the element or change how the HTML parser reads it.
std::string script_json(const json& j) {
    const std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::string out;
    out.reserve(s.size());
    for (char c : s)
        out += c == '<'   ? "\\u003c"
               : c == '>' ? "\\u003e"
               : c == '&' ? "\\u0026"
                          : std::string(1, c);
    return out;
}

// A status value as a cell: text as it is, numbers and flags, and no more than a
// word for a list or an object (nothing in a status has one).
std::string cell_text(const json& v) {
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_object())
        return "(an object)";
    if (v.is_array())
        return "(a list)";
    return v.dump();
}

std::string age_text(std::int64_t seconds) {
    if (seconds < 0)
        return "in the future";
    if (seconds < 120)
        return std::to_string(seconds) + " s";
    if (seconds < 2 * 3600)
        return std::to_string(seconds / 60) + " min";
    if (seconds < 2 * 86400)
        return std::to_string(seconds / 3600) + " h";
    return std::to_string(seconds / 86400) + " days";
}

std::string hours_text(std::int64_t ms) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f", static_cast<double>(ms) / 3.6e6);
    return b;
}

std::string day_of(WallTime t) {
    return format_date(std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t)});
}

std::string state_class(const std::string& state) {
    return state == "never reported" ? "never" : state;
}

std::string state_badge(const std::string& state) {
    return "<span class=\"state " + state_class(state) + "\">" + esc(state) + "</span>";
}

const char* kStyle = R"(/* milepost-fleet report */
body { font: 15px/1.4 system-ui, sans-serif; margin: 0 1.5em 2em; color: #1b1b1b; }
header { border-bottom: 3px solid #444; margin-bottom: 1em; }
header h1 { margin: .4em 0 .1em; font-size: 1.5em; }
header p { margin: 0 0 .5em; color: #555; }
nav a { margin-right: 1.2em; }
h2 { margin-top: 1.6em; font-size: 1.2em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; position: sticky; top: 0; }
th[data-type] { cursor: pointer; }
th[aria-sort=ascending]::after { content: " ▲"; }
th[aria-sort=descending]::after { content: " ▼"; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.state { display: inline-block; padding: 0 .5em; border-radius: .6em; border: 1px solid #0003; white-space: nowrap; }
.state.playing { background: #cdebd3; }
.state.attention { background: #ffe08a; }
.state.stale { background: #ffc38a; }
.state.offline { background: #f4a6a6; }
.state.never { background: #ddd; }
.counts { display: flex; flex-wrap: wrap; gap: .6em; margin: .5em 0; }
.counts div { border: 1px solid #ccc; border-radius: .4em; padding: .4em .8em; min-width: 7em; }
.counts b { display: block; font-size: 1.8em; }
dl.rules dt { font-weight: bold; margin-top: .3em; }
dl.rules dd { margin-left: 1.5em; }
.chart { position: relative; height: 260px; max-width: 1100px; }
.controls { margin: .5em 0; }
.controls input, .controls select { font: inherit; padding: .2em; }
img.thumb { width: 96px; height: auto; border: 1px solid #ccc; }
img.shot { max-width: 640px; width: 100%; border: 1px solid #ccc; }
.muted { color: #666; }
section.item { margin-top: 1.5em; }
@media print {
  nav, .controls, img.thumb { display: none; }
  body { margin: 0; font-size: 11pt; }
  th { position: static; }
  .chart { height: 200px; break-inside: avoid; }
  section.item { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
)";

// Sorting and filtering of tables, and drawing the charts the page names.
const char* kScript = R"(// milepost-fleet report: sortable tables, the screens filter, charts.
"use strict";
function sortTable(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const col = Array.prototype.indexOf.call(th.parentNode.children, th);
  const asc = th.getAttribute("aria-sort") !== "ascending";
  for (const other of th.parentNode.children) other.removeAttribute("aria-sort");
  th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  const key = (tr) => { const td = tr.children[col]; return td.dataset.sort ?? td.textContent; };
  const rows = Array.from(body.rows);
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const c = th.dataset.type === "number" ? Number(x) - Number(y) : x.localeCompare(y);
    return asc ? c : -c;
  });
  for (const r of rows) body.appendChild(r);
}
function filterScreens() {
  const q = document.getElementById("filter").value.trim().toLowerCase();
  const state = document.getElementById("state").value;
  const rows = document.querySelectorAll("table.screens tbody tr");
  let shown = 0;
  for (const tr of rows) {
    const ok = (!state || tr.dataset.state === state) && (!q || tr.textContent.toLowerCase().includes(q));
    tr.hidden = !ok;
    if (ok) shown++;
  }
  document.getElementById("shown").textContent = shown + " of " + rows.length + " screens shown";
  const hash = new URLSearchParams();
  if (state) hash.set("state", state);
  if (q) hash.set("q", q);
  history.replaceState(null, "", hash.toString() ? "#" + hash.toString() : location.pathname);
}
function drawCharts() {
  if (!window.Chart || !window.fleetCharts) return;
  for (const [id, config] of Object.entries(window.fleetCharts)) {
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    new Chart(document.getElementById(id), config);
  }
}
document.addEventListener("DOMContentLoaded", () => {
  for (const th of document.querySelectorAll("th[data-type]")) th.addEventListener("click", () => sortTable(th));
  if (document.getElementById("filter")) {
    const p = new URLSearchParams(location.hash.slice(1));
    document.getElementById("filter").value = p.get("q") || "";
    document.getElementById("state").value = p.get("state") || "";
    for (const id of ["filter", "state"]) document.getElementById(id).addEventListener("input", filterScreens);
    filterScreens();
  }
  drawCharts();
});
)";

// Chart colours, told apart also by the legend's words.
const char* kColours[] = {"#8a1538", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

struct Screen {
    std::string device, site, region, reported_at;
    json status; // null when never reported
    bool screenshot = false;
    std::int64_t age_s = 0;
    ScreenState state;
};

class Writer {
public:
    Writer(FleetDb& db, const ReportOptions& o) : m_db(db), m_o(o) {}

    ReportSummary run() {
        m_from = m_o.from.empty() ? day_of(m_o.now - std::chrono::days(29)) : m_o.from;
        m_to = m_o.to.empty() ? day_of(m_o.now) : m_o.to;
        fs::create_directories(m_o.out / "screens");
        std::error_code ec;
        m_summary.charts = fs::is_regular_file(m_o.chart_js, ec);
        if (m_summary.charts)
            fs::copy_file(m_o.chart_js, m_o.out / "chart.min.js",
                          fs::copy_options::overwrite_existing);
        write("style.css", kStyle);
        write("fleet.js", kScript);
        choose_screens();
        write_index();
        write_items();
        for (const Screen& s : m_screens)
            write_screen(s);
        write_csvs();
        return m_summary;
    }

private:
    FleetDb& m_db;
    const ReportOptions& m_o;
    std::string m_from, m_to;
    std::vector<Screen> m_screens;
    ReportSummary m_summary;

    // Each file written whole and renamed into place, so that a browser or nginx
    // never sees half a page; not synced (a report is made again at will, and a
    // thousand fsyncs were most of its time).
    void write(const std::string& name, const std::string& text) {
        const fs::path path = m_o.out / name;
        const fs::path tmp = path.string() + ".tmp";
        {
            std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
            out.write(text.data(), static_cast<std::streamsize>(text.size()));
            if (!out.flush())
                throw std::runtime_error(tmp.string() + ": cannot write");
        }
        std::error_code ec;
        fs::rename(tmp, path, ec);
        if (ec)
            throw std::runtime_error(path.string() + ": cannot write: " + ec.message());
        ++m_summary.pages;
    }

    bool chosen(const std::string& site, const std::string& region) const {
        if (!m_o.site_glob.empty() && ::fnmatch(m_o.site_glob.c_str(), site.c_str(), 0) != 0)
            return false;
        if (!m_o.region.empty() && region != m_o.region && !region.starts_with(m_o.region + "-"))
            return false;
        return true;
    }

    // The screens the report is about, in temp.chosen for the queries.
    void choose_screens() {
        m_db.exec("DROP TABLE IF EXISTS temp.chosen; CREATE TEMP TABLE chosen (device_id TEXT "
                  "PRIMARY KEY) WITHOUT ROWID");
        std::map<std::string, std::int64_t> failed;
        {
            Statement s = m_db.prepare("SELECT device_id, sum(plays) FROM daily WHERE outcome = "
                                       "'failed' AND day >= ?1 GROUP BY device_id");
            s.bind(1, day_of(m_o.now - std::chrono::days(1)));
            while (s.step())
                failed[s.text(0)] = s.integer(1);
        }
        Statement s = m_db.prepare(
            "SELECT device_id, coalesce(site, ''), coalesce(region, ''), coalesce(reported_at, "
            "''), "
            "status, screenshot IS NOT NULL FROM screens UNION ALL SELECT device_id, '', '', '', "
            "NULL, 0 FROM (SELECT DISTINCT device_id FROM daily EXCEPT SELECT device_id FROM "
            "screens) ORDER BY 2, 1");
        Statement add = m_db.prepare("INSERT OR IGNORE INTO chosen VALUES (?1)");
        while (s.step()) {
            Screen sc;
            sc.device = s.text(0);
            sc.site = s.text(1);
            sc.region = s.text(2);
            sc.reported_at = s.text(3);
            if (!s.is_null(4))
                sc.status = json::parse(s.text(4), nullptr, false);
            if (sc.status.is_discarded())
                sc.status = nullptr;
            sc.screenshot = s.integer(5) != 0;
            if (!chosen(sc.site, sc.region))
                continue;
            if (auto at = parse_rfc3339(sc.reported_at))
                sc.age_s = std::chrono::duration_cast<std::chrono::seconds>(m_o.now - *at).count();
            sc.state = classify_screen(sc.reported_at.empty() ? json(nullptr) : sc.status,
                                       std::chrono::seconds(sc.age_s), failed[sc.device], m_o.now);
            add.bind(1, sc.device);
            add.run();
            m_screens.push_back(std::move(sc));
        }
        m_summary.screens = static_cast<int>(m_screens.size());
        for (const char* state : kStates)
            m_summary.states.emplace_back(
                state, static_cast<int>(
                           std::count_if(m_screens.begin(), m_screens.end(), [&](const Screen& sc) {
                               return sc.state.state == state;
                           })));
    }

    std::string page(const std::string& title, int depth, const std::string& body,
                     const json& charts) const {
        const std::string up = depth ? "../" : "";
        std::string filters;
        if (!m_o.site_glob.empty())
            filters += ", sites " + esc(m_o.site_glob);
        if (!m_o.region.empty())
            filters += ", region " + esc(m_o.region);
        std::string out =
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width\">\n<title>" +
            esc(title) + " — Milepost fleet</title>\n<link rel=\"stylesheet\" href=\"" + up +
            "style.css\">\n</head>\n<body>\n<header>\n<h1>" + esc(title) + "</h1>\n<p>Plays " +
            m_from + " to " + m_to + " (UTC)" + filters + "; made " + format_rfc3339_utc(m_o.now) +
            "</p>\n<nav><a href=\"" + up + "index.html\">Fleet</a><a href=\"" + up +
            "items.html\">Items</a><a href=\"" + up +
            "plays_by_item_day.csv\">plays_by_item_day.csv</a><a href=\"" + up +
            "plays_by_site_day.csv\">plays_by_site_day.csv</a><a href=\"" + up +
            "screens.csv\">screens.csv</a></nav>\n</header>\n<main>\n" + body + "</main>\n";
        if (!charts.empty()) {
            if (m_summary.charts)
                out += "<script src=\"" + up + "chart.min.js\"></script>\n";
            out += "<script>window.fleetCharts = " + script_json(charts) + ";</script>\n";
        }
        out += "<script src=\"" + up + "fleet.js\"></script>\n</body>\n</html>\n";
        return out;
    }

    std::string chart_box(const std::string& id, const std::string& label) const {
        std::string out = "<div class=\"chart\"><canvas id=\"" + id +
                          "\" role=\"img\" aria-label=\"" + esc(label) + "\"></canvas></div>\n";
        if (!m_summary.charts)
            out += "<p class=\"muted\">Charts are left out: " + esc(m_o.chart_js.string()) +
                   " was not found (apt install libjs-chart.js).</p>\n";
        return out;
    }

    static json bar_chart(const json& labels, const json& datasets, bool stacked) {
        json c = {{"type", "bar"}, {"data", {{"labels", labels}, {"datasets", datasets}}}};
        // Counts: whole numbers on the axis.
        c["options"]["scales"]["y"]["ticks"]["precision"] = 0;
        if (stacked) {
            c["options"]["scales"]["x"]["stacked"] = true;
            c["options"]["scales"]["y"]["stacked"] = true;
        }
        return c;
    }

    void write_index() {
        std::string body = "<h2>Screens by state</h2>\n<div class=\"counts\">\n";
        for (const auto& [state, n] : m_summary.states)
            body += "<div data-state=\"" + esc(state) + "\"><b>" + std::to_string(n) + "</b>" +
                    state_badge(state) + "</div>\n";
        body += "</div>\n<dl class=\"rules\">\n";
        for (const auto& rule : kRules)
            body += "<dt>" + state_badge(rule[0]) + "</dt><dd>" + esc(rule[1]) + "</dd>\n";
        body += "</dl>\n";

        // Plays per day over the range.
        json days = json::array(), counts = json::array();
        {
            Statement s = m_db.prepare("SELECT day, sum(plays) FROM daily JOIN chosen USING "
                                       "(device_id) WHERE day BETWEEN ?1 AND ?2 GROUP BY day");
            s.bind(1, m_from).bind(2, m_to);
            while (s.step()) {
                days.push_back(s.text(0));
                counts.push_back(s.integer(1));
                m_summary.plays += s.integer(1);
            }
        }
        json charts;
        charts["plays-per-day"] = bar_chart(
            days,
            json::array({{{"label", "plays"}, {"data", counts}, {"backgroundColor", kColours[0]}}}),
            false);
        body += "<h2>Plays per day</h2>\n<p>" + std::to_string(m_summary.plays) +
                " plays in all.</p>\n" + chart_box("plays-per-day", "plays per day");

        body +=
            "<h2>Top items</h2>\n<table class=\"items\">\n<thead><tr><th scope=\"col\">item</th>"
            "<th scope=\"col\" class=\"n\">plays</th><th scope=\"col\" class=\"n\">hours</th>"
            "<th scope=\"col\" class=\"n\">screens</th></tr></thead>\n<tbody>\n";
        {
            Statement s = m_db.prepare(
                "SELECT item_id, sum(plays), sum(duration_ms), count(DISTINCT device_id) FROM "
                "daily "
                "JOIN chosen USING (device_id) WHERE day BETWEEN ?1 AND ?2 GROUP BY item_id ORDER "
                "BY 2 DESC, 1 LIMIT 10");
            s.bind(1, m_from).bind(2, m_to);
            while (s.step())
                body += "<tr><td>" + esc(s.text(0)) + "</td><td class=\"n\">" +
                        std::to_string(s.integer(1)) + "</td><td class=\"n\">" +
                        hours_text(s.integer(2)) + "</td><td class=\"n\">" +
                        std::to_string(s.integer(3)) + "</td></tr>\n";
        }
        body += "</tbody>\n</table>\n";

        body += "<h2>Every screen</h2>\n<div class=\"controls\"><label>Find <input id=\"filter\" "
                "type=\"search\" placeholder=\"site, device, item…\"></label> <label>State <select "
                "id=\"state\"><option value=\"\">any</option>";
        for (const char* state : kStates)
            body += "<option>" + esc(state) + "</option>";
        body += "</select></label> <span id=\"shown\" role=\"status\"></span></div>\n"
                "<table class=\"screens\">\n<thead><tr>";
        for (const auto& [name, type] :
             std::vector<std::pair<std::string, std::string>>{{"site", "text"},
                                                              {"region", "text"},
                                                              {"device", "text"},
                                                              {"state", "text"},
                                                              {"why", "text"},
                                                              {"version", "text"},
                                                              {"channel", "text"},
                                                              {"last report", "number"},
                                                              {"showing", "text"},
                                                              {"screenshot", ""}})
            body += "<th scope=\"col\"" + (type.empty() ? "" : " data-type=\"" + type + "\"") +
                    ">" + name + "</th>";
        body += "</tr></thead>\n<tbody>\n";
        for (const Screen& sc : m_screens) {
            const json& st = sc.status;
            auto text = [&](const char* key) {
                return st.is_object() && st.contains(key) && st[key].is_string()
                           ? st[key].get<std::string>()
                           : std::string();
            };
            std::string channel = text("channel");
            if (st.is_object() && st.contains("sequence") && st["sequence"].is_number_integer())
                channel += " #" + std::to_string(st["sequence"].get<std::int64_t>());
            std::string why;
            for (const auto& r : sc.state.reasons)
                why += (why.empty() ? "" : "; ") + r;
            body += "<tr data-state=\"" + esc(sc.state.state) + "\"><td>" + esc(sc.site) +
                    "</td><td>" + esc(sc.region) + "</td><td><a href=\"screens/" + esc(sc.device) +
                    ".html\">" + esc(sc.device) + "</a></td><td>" + state_badge(sc.state.state) +
                    "</td><td>" + esc(why) + "</td><td>" + esc(text("version")) + "</td><td>" +
                    esc(channel) + "</td>";
            if (sc.reported_at.empty())
                body += "<td data-sort=\"1e12\">never</td>";
            else
                body += "<td data-sort=\"" + std::to_string(sc.age_s) + "\">" +
                        (sc.age_s < 0 ? std::string("after this report's time")
                                      : age_text(sc.age_s) + " ago") +
                        "</td>";
            body += "<td>" + esc(text("current_item")) + "</td><td>";
            if (sc.screenshot)
                body += "<img class=\"thumb\" src=\"screens/" + esc(sc.device) +
                        ".png\" alt=\"what " + esc(sc.device) + " showed last\" loading=\"lazy\">";
            body += "</td></tr>\n";
        }
        body += "</tbody>\n</table>\n";
        write("index.html", page("Fleet at a glance", 0, body, charts));
    }

    void write_items() {
        struct Item {
            std::int64_t plays = 0, completed = 0, interrupted = 0, skipped = 0, failed = 0, ms = 0,
                         screens = 0, sites = 0;
        };
        std::vector<std::pair<std::string, Item>> items;
        {
            Statement s = m_db.prepare(
                "SELECT d.item_id, sum(d.plays), sum(CASE d.outcome WHEN 'completed' THEN d.plays "
                "ELSE 0 END), sum(CASE d.outcome WHEN 'interrupted' THEN d.plays ELSE 0 END), "
                "sum(CASE d.outcome WHEN 'skipped' THEN d.plays ELSE 0 END), sum(CASE d.outcome "
                "WHEN 'failed' THEN d.plays ELSE 0 END), sum(d.duration_ms), count(DISTINCT "
                "d.device_id), count(DISTINCT s.site) FROM daily d JOIN chosen c ON c.device_id = "
                "d.device_id LEFT JOIN screens s ON s.device_id = d.device_id WHERE d.day BETWEEN "
                "?1 AND ?2 GROUP BY d.item_id ORDER BY 2 DESC, 1");
            s.bind(1, m_from).bind(2, m_to);
            while (s.step())
                items.push_back({s.text(0),
                                 {s.integer(1), s.integer(2), s.integer(3), s.integer(4),
                                  s.integer(5), s.integer(6), s.integer(7), s.integer(8)}});
        }
        // Per day, the ten most played items; per language.
        std::map<std::string, std::map<std::string, std::int64_t>> by_day; // item -> day -> plays
        std::set<std::string> days;
        {
            Statement s =
                m_db.prepare("SELECT item_id, day, sum(plays) FROM daily JOIN chosen "
                             "USING (device_id) WHERE day BETWEEN ?1 AND ?2 GROUP BY 1, 2");
            s.bind(1, m_from).bind(2, m_to);
            while (s.step()) {
                by_day[s.text(0)][s.text(1)] = s.integer(2);
                days.insert(s.text(1));
            }
        }
        json day_labels(days), day_sets = json::array();
        for (std::size_t i = 0; i < items.size() && i < 10; ++i) {
            json data = json::array();
            for (const std::string& d : days)
                data.push_back(by_day[items[i].first][d]);
            day_sets.push_back(
                {{"label", items[i].first}, {"data", data}, {"backgroundColor", kColours[i % 10]}});
        }
        json lang_labels = json::array(), lang_counts = json::array();
        {
            Statement s =
                m_db.prepare("SELECT lang, sum(plays) FROM daily JOIN chosen USING "
                             "(device_id) WHERE day BETWEEN ?1 AND ?2 GROUP BY 1 ORDER BY 2 DESC");
            s.bind(1, m_from).bind(2, m_to);
            while (s.step()) {
                lang_labels.push_back(s.text(0).empty() ? "not recorded" : s.text(0));
                lang_counts.push_back(s.integer(1));
            }
        }
        json charts;
        charts["items-per-day"] = bar_chart(day_labels, day_sets, true);
        charts["plays-by-lang"] = bar_chart(
            lang_labels,
            json::array(
                {{{"label", "plays"}, {"data", lang_counts}, {"backgroundColor", kColours[1]}}}),
            false);
        std::string body = "<h2>Every item</h2>\n<table class=\"items\">\n<thead><tr>";
        // Per item, its plays in each language: "en 30, es 12".
        std::map<std::string, std::string> languages;
        {
            Statement s = m_db.prepare(
                "SELECT item_id, lang, sum(plays) FROM daily JOIN chosen USING (device_id) WHERE "
                "day BETWEEN ?1 AND ?2 GROUP BY 1, 2 ORDER BY 1, 3 DESC");
            s.bind(1, m_from).bind(2, m_to);
            while (s.step()) {
                std::string& text = languages[s.text(0)];
                text += (text.empty() ? "" : ", ") +
                        (s.text(1).empty() ? std::string("not recorded") : s.text(1)) + " " +
                        std::to_string(s.integer(2));
            }
        }
        for (const char* h : {"item", "plays", "completed", "interrupted", "skipped", "failed",
                              "hours on screen", "sites", "screens", "by language"}) {
            const bool text = std::string(h) == "item" || std::string(h) == "by language";
            body += std::string("<th scope=\"col\"") +
                    (text ? " data-type=\"text\">" : " class=\"n\" data-type=\"number\">") + h +
                    "</th>";
        }
        body += "</tr></thead>\n<tbody>\n";
        for (const auto& [id, it] : items) {
            body += "<tr><td>" + esc(id) + "</td>";
            for (std::int64_t v : {it.plays, it.completed, it.interrupted, it.skipped, it.failed})
                body += "<td class=\"n\">" + std::to_string(v) + "</td>";
            body += "<td class=\"n\">" + hours_text(it.ms) + "</td><td class=\"n\">" +
                    std::to_string(it.sites) + "</td><td class=\"n\">" +
                    std::to_string(it.screens) + "</td><td>" + esc(languages[id]) + "</td></tr>\n";
        }
        body += "</tbody>\n</table>\n<h2>Plays per day, the ten most played items</h2>\n" +
                chart_box("items-per-day", "plays per day by item") +
                "<h2>Plays by language</h2>\n" + chart_box("plays-by-lang", "plays by language");
        // For print: a page per item, its plays per month.
        Statement months = m_db.prepare(
            "SELECT substr(day, 1, 7), sum(plays), sum(CASE outcome WHEN 'completed' THEN plays "
            "ELSE 0 END), sum(duration_ms), count(DISTINCT device_id) FROM daily JOIN chosen USING "
            "(device_id) WHERE item_id = ?1 AND day BETWEEN ?2 AND ?3 GROUP BY 1 ORDER BY 1");
        for (const auto& [id, it] : items) {
            body +=
                "<section class=\"item\"><h2>" + esc(id) + "</h2>\n<p>" + std::to_string(it.plays) +
                " plays (" + std::to_string(it.completed) + " completed), " + hours_text(it.ms) +
                " hours on screen, at " + std::to_string(it.sites) + " sites on " +
                std::to_string(it.screens) +
                " screens.</p>\n<table><thead><tr><th scope=\"col\">month</th><th scope=\"col\" "
                "class=\"n\">plays</th><th scope=\"col\" class=\"n\">completed</th><th "
                "scope=\"col\" class=\"n\">hours</th><th scope=\"col\" "
                "class=\"n\">screens</th></tr></thead><tbody>\n";
            months.bind(1, id).bind(2, m_from).bind(3, m_to);
            while (months.step())
                body += "<tr><td>" + months.text(0) + "</td><td class=\"n\">" +
                        std::to_string(months.integer(1)) + "</td><td class=\"n\">" +
                        std::to_string(months.integer(2)) + "</td><td class=\"n\">" +
                        hours_text(months.integer(3)) + "</td><td class=\"n\">" +
                        std::to_string(months.integer(4)) + "</td></tr>\n";
            months.reset();
            body += "</tbody></table></section>\n";
        }
        write("items.html", page("Items", 0, body, charts));
    }

    void write_screen(const Screen& sc) {
        if (sc.screenshot) {
            Statement s = m_db.prepare("SELECT screenshot FROM screens WHERE device_id = ?1");
            s.bind(1, sc.device);
            if (s.step()) {
                const std::string bytes = s.blob(0);
                write("screens/" + sc.device + ".png", bytes);
            }
        }
        std::string why;
        for (const auto& r : sc.state.reasons)
            why += (why.empty() ? "" : "; ") + r;
        std::string body = "<p>" + state_badge(sc.state.state) + " " + esc(why) + "</p>\n";
        body +=
            "<table class=\"facts\"><tbody>\n<tr><th scope=\"row\">site</th><td>" + esc(sc.site) +
            "</td></tr>\n<tr><th scope=\"row\">region</th><td>" + esc(sc.region) +
            "</td></tr>\n<tr><th scope=\"row\">last report</th><td>" +
            (sc.reported_at.empty() ? std::string("never")
                                    : esc(sc.reported_at) + " (" + age_text(sc.age_s) + " ago)") +
            "</td></tr>\n";
        if (sc.status.is_object())
            for (const auto& [key, value] : sc.status.items())
                if (key != "device_id" && key != "site" && key != "region")
                    body += "<tr><th scope=\"row\">" + esc(key) + "</th><td>" +
                            esc(cell_text(value)) + "</td></tr>\n";
        body += "</tbody></table>\n";
        if (sc.screenshot)
            body += "<h2>Screenshot</h2>\n<img class=\"shot\" src=\"" + esc(sc.device) +
                    ".png\" alt=\"the last screenshot of " + esc(sc.device) + "\">\n";

        // Status history: temperature, frames dropped, disk free.
        json times = json::array(), temp = json::array(), dropped = json::array(),
             disk = json::array();
        {
            Statement s = m_db.prepare(
                "SELECT reported_at, cpu_temp_c, frames_dropped_last_hour, disk_free_mb, "
                "disk_total_mb FROM status_history WHERE device_id = ?1 ORDER BY reported_at");
            s.bind(1, sc.device);
            while (s.step()) {
                times.push_back(s.text(0).substr(0, 16));
                temp.push_back(s.is_null(1) ? json(nullptr) : json(s.real(1)));
                dropped.push_back(s.is_null(2) ? json(nullptr) : json(s.integer(2)));
                disk.push_back(s.is_null(3) || s.is_null(4) || s.integer(4) <= 0
                                   ? json(nullptr)
                                   : json(100.0 * s.real(3) / s.real(4)));
            }
        }
        json charts;
        charts["history"] = {
            {"type", "line"},
            {"data",
             {{"labels", times},
              {"datasets",
               json::array(
                   {{{"label", "temperature °C"}, {"data", temp}, {"borderColor", kColours[0]}},
                    {{"label", "frames dropped in the hour"},
                     {"data", dropped},
                     {"borderColor", kColours[1]}},
                    {{"label", "disk free %"}, {"data", disk}, {"borderColor", kColours[2]}}})}}}};
        body += "<h2>Status history (" + std::to_string(times.size()) +
                (times.size() == 1 ? " report" : " reports") + ")</h2>\n" +
                chart_box("history", "temperature, frames dropped and disk free over time");

        // What it showed, day by day, over the last 7 days.
        const std::string week = day_of(m_o.now - std::chrono::days(6));
        std::map<std::string, std::map<std::string, std::int64_t>> shown; // item -> day -> plays
        std::set<std::string> days;
        {
            Statement s = m_db.prepare("SELECT item_id, day, sum(plays) FROM daily WHERE device_id "
                                       "= ?1 AND day >= ?2 GROUP BY 1, 2");
            s.bind(1, sc.device).bind(2, week);
            while (s.step()) {
                shown[s.text(0)][s.text(1)] = s.integer(2);
                days.insert(s.text(1));
            }
        }
        json sets = json::array();
        std::size_t i = 0;
        for (const auto& [item, per_day] : shown) {
            json data = json::array();
            for (const std::string& d : days)
                data.push_back(per_day.count(d) ? per_day.at(d) : 0);
            sets.push_back(
                {{"label", item}, {"data", data}, {"backgroundColor", kColours[i++ % 10]}});
        }
        charts["week"] = bar_chart(json(days), sets, true);
        body += "<h2>What it showed, the last 7 days</h2>\n" +
                chart_box("week", "plays per day by item, the last 7 days");

        body += "<h2>Failures, the last 7 days</h2>\n";
        Statement f = m_db.prepare("SELECT started_at, item_id, coalesce(detail, '') FROM plays "
                                   "WHERE device_id = ?1 AND outcome = 'failed' AND started_at >= "
                                   "?2 ORDER BY started_at DESC LIMIT 100");
        f.bind(1, sc.device).bind(2, week);
        std::string rows;
        while (f.step())
            rows += "<tr><td>" + esc(f.text(0)) + "</td><td>" + esc(f.text(1)) + "</td><td>" +
                    esc(f.text(2)) + "</td></tr>\n";
        body += rows.empty()
                    ? "<p>None.</p>\n"
                    : "<table><thead><tr><th scope=\"col\">started</th><th "
                      "scope=\"col\">item</th><th scope=\"col\">why</th></tr></thead><tbody>\n" +
                          rows + "</tbody></table>\n";
        write("screens/" + sc.device + ".html", page("Screen " + sc.device, 1, body, charts));
    }

    void write_csvs() {
        PlaysQuery q;
        q.from = m_from;
        q.to = m_to;
        q.chosen_only = true;
        q.by = {"item", "day"};
        write("plays_by_item_day.csv", format_csv(query_plays(m_db, q)));
        q.by = {"site", "day"};
        write("plays_by_site_day.csv", format_csv(query_plays(m_db, q)));
        Table t;
        for (const char* c : {"device", "site", "region", "state", "why", "version", "channel",
                              "sequence", "reported_at", "minutes_since_report", "current_item"}) {
            t.columns.push_back(c);
            t.numeric.push_back(false);
        }
        for (const Screen& sc : m_screens) {
            auto text = [&](const char* key) {
                return sc.status.is_object() && sc.status.contains(key) ? cell_text(sc.status[key])
                                                                        : std::string();
            };
            std::string why;
            for (const auto& r : sc.state.reasons)
                why += (why.empty() ? "" : "; ") + r;
            t.rows.push_back({sc.device, sc.site, sc.region, sc.state.state, why, text("version"),
                              text("channel"), text("sequence"), sc.reported_at,
                              sc.reported_at.empty() ? "" : std::to_string(sc.age_s / 60),
                              text("current_item")});
        }
        write("screens.csv", format_csv(t));
    }
};

} // namespace

ScreenState classify_screen(const json& status, std::chrono::seconds age,
                            std::int64_t failed_last_day, WallTime now) {
    ScreenState s;
    if (!status.is_object()) {
        s.state = "never reported";
        return s;
    }
    // Numbers as a screen sent them, held to what a status can hold.
    auto number = [&](const char* key) -> std::optional<double> {
        auto it = status.find(key);
        if (it == status.end() || !it->is_number())
            return std::nullopt;
        return std::clamp(it->get<double>(), -1e12, 1e12);
    };
    auto text = [&](const char* key) {
        auto it = status.find(key);
        return it != status.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const auto poll = std::chrono::seconds(static_cast<std::int64_t>(
        std::clamp(number("poll_interval_s").value_or(300.0), 1.0, 86400.0)));
    if (age > kOfflineAfter) {
        s.state = "offline";
        s.reasons.push_back("no report for " + age_text(age.count()));
        return s;
    }
    if (age > kStaleAfter || age > kPlayingPolls * poll) {
        s.state = "stale";
        s.reasons.push_back("no report for " + age_text(age.count()) + " (polls every " +
                            age_text(poll.count()) + ")");
        return s;
    }
    if (const std::string r = text("last_sync_result"); !r.empty() && !r.starts_with("ok"))
        s.reasons.push_back("sync failed: " + r);
    if (const std::string c = text("config_problem"); !c.empty())
        s.reasons.push_back("settings: " + c);
    if (failed_last_day > 0)
        s.reasons.push_back(std::to_string(failed_last_day) + " failed plays today or yesterday");
    if (auto d = number("frames_dropped_last_hour"); d && *d > 0)
        s.reasons.push_back(std::to_string(static_cast<std::int64_t>(*d)) +
                            " frames dropped in the last hour");
    if (const std::string t = text("throttled"); !t.empty() && t != "0x0" && t != "0")
        s.reasons.push_back("throttled (" + t + ")");
    if (auto t = number("cpu_temp_c"); t && *t > 80) {
        char b[48];
        std::snprintf(b, sizeof b, "%.0f °C", *t);
        s.reasons.push_back(std::string("temperature ") + b);
    }
    auto free_mb = number("disk_free_mb"), total_mb = number("disk_total_mb");
    if (free_mb && total_mb && *total_mb > 0 && *free_mb < 0.1 * *total_mb)
        s.reasons.push_back("disk " + std::to_string(static_cast<int>(100 * *free_mb / *total_mb)) +
                            "% free");
    if (auto lost = number("rows_lost"); lost && *lost > 0)
        s.reasons.push_back(std::to_string(static_cast<std::int64_t>(*lost)) + " play rows lost");
    if (auto since = parse_rfc3339(text("rows_pending_since"));
        since && now - *since > kPendingTooLong)
        s.reasons.push_back("play rows waiting for upload since " + text("rows_pending_since"));
    if (!s.reasons.empty())
        s.state = "attention";
    else
        s.state = "playing";
    return s;
}

Result<ReportSummary> write_report(FleetDb& db, const ReportOptions& options) {
    try {
        Writer w(db, options);
        return w.run();
    } catch (const std::exception& e) {
        return Error{e.what()};
    }
}

} // namespace milepost::fleet
