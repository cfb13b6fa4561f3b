// milepost-fleet: what the screens uploaded, gathered into FLEET.db, and counted.
// Exit status: 0 success (bad input is counted and named, not a failure); 1 the
// source or FLEET.db cannot be read or written; 2 bad usage.
#include "ClickHouse.hpp"
#include "FleetDb.hpp"
#include "Ingest.hpp"
#include "Plays.hpp"
#include "Report.hpp"
#include "core/Log.hpp"
#include "core/Units.hpp"
#include "milepost/Version.hpp"
#include "milepost/usage/milepost-fleet.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

using namespace milepost;
using namespace milepost::fleet;
namespace fs = std::filesystem;

namespace {

const char* kUsage = usage::milepost_fleet;

// Text a screen sent, fit for a terminal: control characters (an escape
// sequence, a carriage return) shown as "?".
std::string printable(std::string s) {
    for (char& c : s)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            c = '?';
    return s;
}

// The same, line by line.
std::string printable_lines(const std::string& text) {
    std::string out;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        out += printable(text.substr(start, end - start)) + "\n";
        start = end + 1;
    }
    return out;
}

int usage_error(const std::string& message) {
    log::error(message + " (see milepost-fleet --help)");
    return 2;
}

std::string thousands(std::int64_t n) {
    std::string s = std::to_string(n);
    for (int i = static_cast<int>(s.size()) - 3; i > (n < 0 ? 1 : 0); i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::map<std::string, std::string> options;
};

// --key VALUE or --key=VALUE, for the keys each command takes.
std::optional<Args> parse_args(int argc, char** argv, std::string& problem) {
    Args a;
    a.command = argv[1];
    const std::map<std::string, std::vector<std::string>> known = {
        {"ingest", {"--db", "--clickhouse", "--endpoint"}},
        {"plays", {"--db", "--by", "--from", "--to", "--format"}},
        {"report", {"--db", "--out", "--from", "--to", "--site", "--region", "--now"}},
    };
    auto it = known.find(a.command);
    if (it == known.end()) {
        problem = "unknown command \"" + a.command + "\": ingest, report or plays";
        return std::nullopt;
    }
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (!arg.starts_with("--")) {
            a.positional.push_back(arg);
            continue;
        }
        std::string value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (std::find(it->second.begin(), it->second.end(), arg) == it->second.end()) {
            problem = a.command + ": unknown option " + arg;
            return std::nullopt;
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                problem = arg + " needs a value";
                return std::nullopt;
            }
            value = argv[++i];
        }
        a.options[arg] = value;
    }
    return a;
}

// A line rewritten in place on a terminal, at most ten times a second.
class ProgressLine {
public:
    ProgressLine() : m_tty(::isatty(STDERR_FILENO) == 1) {}
    void show(const IngestProgress& p) {
        if (!m_tty)
            return;
        const auto now = std::chrono::steady_clock::now();
        if (p.files_done < p.files_total && now - m_last < std::chrono::milliseconds(100))
            return;
        m_last = now;
        const int width = 30;
        const int filled =
            p.files_total ? static_cast<int>(width * p.files_done / p.files_total) : width;
        std::fprintf(stderr, "\r[%s%s] %s/%s files, %s plays", std::string(filled, '#').c_str(),
                     std::string(width - filled, ' ').c_str(), thousands(p.files_done).c_str(),
                     thousands(p.files_total).c_str(), thousands(p.rows).c_str());
        m_shown = true;
    }
    void done() {
        if (m_shown)
            std::fputs("\n", stderr);
    }

private:
    bool m_tty;
    bool m_shown = false;
    std::chrono::steady_clock::time_point m_last{};
};

// --from and --to, checked; "" when not given.
std::optional<std::string> date_option(const Args& a, const char* key) {
    auto it = a.options.find(key);
    if (it == a.options.end())
        return std::string();
    if (!parse_date(it->second)) {
        usage_error(std::string(key) + ": expected a date, YYYY-MM-DD, not \"" + it->second + "\"");
        return std::nullopt;
    }
    return it->second;
}

// FLEET.db, which must exist (an ingest makes it).
std::unique_ptr<FleetDb> open_existing(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
        log::error(file.string() + ": no such database (make it with milepost-fleet ingest)");
        return nullptr;
    }
    auto db = FleetDb::open(file);
    if (!db) {
        log::error(db.error().message);
        return nullptr;
    }
    return std::move(*db);
}

int ingest(const Args& a) {
    if (a.positional.size() != 1)
        return usage_error("ingest: give one SOURCE, a folder or s3://BUCKET/PREFIX/");
    if (!a.options.count("--db"))
        return usage_error("ingest: --db FLEET.db is needed");
    const std::string where = a.positional[0];
    const std::string endpoint = a.options.count("--endpoint") ? a.options.at("--endpoint") : "";
    std::unique_ptr<Source> source;
    if (where.starts_with("s3://")) {
        auto s3 = s3_source(where, endpoint);
        if (!s3)
            return usage_error(s3.error().message);
        source = std::move(*s3);
    } else {
        if (!endpoint.empty())
            return usage_error("--endpoint is for s3:// sources");
        source = folder_source(where);
    }
    auto db = FleetDb::open(a.options.at("--db"));
    if (!db) {
        log::error(db.error().message);
        return 1;
    }
    std::unique_ptr<ClickHouseSink> clickhouse;
    if (auto it = a.options.find("--clickhouse"); it != a.options.end()) {
        if (!it->second.starts_with("http://") && !it->second.starts_with("https://"))
            return usage_error("--clickhouse: expected the HTTP interface's URL, e.g. "
                               "http://127.0.0.1:8123/");
        auto sink = ClickHouseSink::open(it->second);
        if (!sink) {
            log::error(sink.error().message);
            return 1;
        }
        clickhouse = std::move(*sink);
    }
    const auto started = std::chrono::steady_clock::now();
    ProgressLine line;
    auto report = ingest(
        **db, *source,
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()),
        [&](const IngestProgress& p) { line.show(p); }, clickhouse.get());
    line.done();
    if (!report) {
        log::error(report.error().message);
        return 1;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const IngestReport& r = *report;
    std::printf("ingest: %s files: %s read, %s unchanged; %s new plays, %s already known; "
                "%s status reports, %s screenshots; %.1f s\n",
                thousands(r.files).c_str(), thousands(r.files_read).c_str(),
                thousands(r.files_unchanged).c_str(), thousands(r.plays_new).c_str(),
                thousands(r.plays_known).c_str(), thousands(r.statuses).c_str(),
                thousands(r.screenshots).c_str(), seconds);
    if (clickhouse)
        std::printf("ingest: %s plays sent to ClickHouse\n", thousands(r.clickhouse_rows).c_str());
    if (!r.problems.empty()) {
        std::printf("ingest: %s bad lines, %s files refused whole:\n",
                    thousands(r.bad_lines).c_str(), thousands(r.bad_files).c_str());
        const std::size_t shown = std::min<std::size_t>(r.problems.size(), 50);
        for (std::size_t i = 0; i < shown; ++i) {
            const Problem& p = r.problems[i];
            std::printf("  %s%s: %s\n", printable(source->name(p.path)).c_str(),
                        p.line ? (":" + std::to_string(p.line)).c_str() : "",
                        printable(p.reason).c_str());
        }
        if (shown < r.problems.size())
            std::printf("  and %s more (all in %s, table problems)\n",
                        thousands(static_cast<std::int64_t>(r.problems.size() - shown)).c_str(),
                        a.options.at("--db").c_str());
    }
    return 0;
}

int plays(const Args& a) {
    if (!a.positional.empty())
        return usage_error("plays: unexpected " + a.positional[0]);
    if (!a.options.count("--db"))
        return usage_error("plays: --db FLEET.db is needed");
    if (!a.options.count("--by"))
        return usage_error("plays: --by is needed, e.g. --by item,day");
    auto by = parse_by(a.options.at("--by"));
    if (!by)
        return usage_error(by.error().message);
    PlaysQuery q;
    q.by = *by;
    auto from = date_option(a, "--from"), to = date_option(a, "--to");
    if (!from || !to)
        return 2;
    q.from = *from;
    q.to = *to;
    const std::string format = a.options.count("--format") ? a.options.at("--format") : "csv";
    if (format != "csv" && format != "json" && format != "table")
        return usage_error("--format: expected csv, json or table, not \"" + format + "\"");
    auto db = open_existing(a.options.at("--db"));
    if (!db)
        return 1;
    try {
        const Table t = query_plays(*db, q);
        const std::string out = format == "csv"    ? format_csv(t)
                                : format == "json" ? format_json(t)
                                                   : printable_lines(format_table(t));
        std::fwrite(out.data(), 1, out.size(), stdout);
    } catch (const std::runtime_error& e) {
        log::error(e.what());
        return 1;
    }
    return 0;
}

int report(const Args& a) {
    if (!a.positional.empty())
        return usage_error("report: unexpected " + a.positional[0]);
    for (const char* key : {"--db", "--out"})
        if (!a.options.count(key))
            return usage_error(std::string("report: ") + key + " is needed");
    ReportOptions o;
    o.out = a.options.at("--out");
    auto from = date_option(a, "--from"), to = date_option(a, "--to");
    if (!from || !to)
        return 2;
    o.from = *from;
    o.to = *to;
    if (!o.from.empty() && !o.to.empty() && o.from > o.to)
        return usage_error("--from " + o.from + " is after --to " + o.to);
    if (auto it = a.options.find("--site"); it != a.options.end())
        o.site_glob = it->second;
    if (auto it = a.options.find("--region"); it != a.options.end())
        o.region = it->second;
    o.now =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    if (auto it = a.options.find("--now"); it != a.options.end()) {
        auto t = parse_rfc3339(it->second);
        if (!t)
            return usage_error(
                "--now: expected an RFC 3339 time, e.g. 2026-12-01T08:00:00Z, not \"" + it->second +
                "\"");
        o.now = *t;
    }
    auto db = open_existing(a.options.at("--db"));
    if (!db)
        return 1;
    auto r = write_report(*db, o);
    if (!r) {
        log::error(r.error().message);
        return 1;
    }
    std::string states;
    for (const auto& [state, n] : r->states)
        if (n)
            states += (states.empty() ? "" : ", ") + std::to_string(n) + " " + state;
    std::printf("report: %d %s (%s), %s plays; %s files in %s\n", r->screens,
                r->screens == 1 ? "screen" : "screens", states.empty() ? "none" : states.c_str(),
                thousands(r->plays).c_str(), thousands(r->pages).c_str(), o.out.c_str());
    if (!r->charts)
        log::warn(std::string("charts left out: ") + kChartJs +
                  " was not found (apt install libjs-chart.js)");
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    curl_global_init(CURL_GLOBAL_DEFAULT); // before any thread
    if (argc < 2)
        return usage_error("a command is needed: ingest, report or plays");
    const std::string first = argv[1];
    if (first == "--help" || first == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (first == "--version") {
        std::printf("milepost-fleet %s\n", kVersion);
        return 0;
    }
    for (int i = 2; i < argc; ++i)
        if (std::string(argv[i]) == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
    std::string problem;
    auto args = parse_args(argc, argv, problem);
    if (!args)
        return usage_error(problem);
    if (args->command == "ingest")
        return ingest(*args);
    return args->command == "report" ? report(*args) : plays(*args);
}
