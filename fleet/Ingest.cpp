#include "Ingest.hpp"

#include "ClickHouse.hpp"
#include "core/Text.hpp"
#include "media/BoundedQueue.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

namespace milepost::fleet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// How deep objects and lists nest in JSON text (strings skipped).
int json_depth(std::string_view s) {
    int depth = 0, deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return deepest;
}

bool is_hex16(std::string_view s) {
    return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

// A column that may be absent or null; present, it must have the right type.
struct Fields {
    const json& row;
    std::string problem;

    const json* find(const char* key) {
        auto it = row.find(key);
        return it == row.end() || it->is_null() ? nullptr : &*it;
    }
    std::optional<std::string> text(const char* key, std::size_t max = 4096) {
        const json* v = find(key);
        if (!v)
            return std::nullopt;
        if (!v->is_string() || v->get_ref<const std::string&>().size() > max) {
            fail(std::string(key) + ": expected text of up to " + std::to_string(max) + " bytes");
            return std::nullopt;
        }
        return v->get<std::string>();
    }
    std::optional<std::int64_t> integer(const char* key) {
        const json* v = find(key);
        if (!v)
            return std::nullopt;
        if (v->is_boolean())
            return v->get<bool>() ? 1 : 0;
        if (!v->is_number_integer()) {
            fail(std::string(key) + ": expected a whole number");
            return std::nullopt;
        }
        return v->get<std::int64_t>();
    }
    void fail(std::string text) {
        if (problem.empty())
            problem = std::move(text);
    }
};

// A status figure, when the report has it as a number; else NULL.
void bind_number(Statement& s, int index, const json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return;
    if (it->is_number_integer())
        s.bind(index, it->get<std::int64_t>());
    else
        s.bind(index, it->get<double>());
}

void bind_text(Statement& s, int index, const json& j, const char* key) {
    auto it = j.find(key);
    if (it != j.end() && it->is_string() && it->get_ref<const std::string&>().size() <= 256)
        s.bind(index, std::string_view(it->get_ref<const std::string&>()));
}

const std::array<std::string_view, 4> kOutcomes = {"completed", "interrupted", "skipped", "failed"};

const char* const kRequired[] = {"device_id", "log_id", "id", "item_id", "started_at", "outcome"};

// A play row read with nlohmann's SAX parser straight into a PlayRow: no DOM, no
// map per line (the ingest's cost was mostly there). Flat objects only; keys it
// does not know are passed over.
class RowReader : public nlohmann::json_sax<json> {
public:
    explicit RowReader(PlayRow& row) : m_row(row) {}
    std::string problem;
    bool has(std::string_view key) const {
        for (std::size_t i = 0; i < std::size(kRequired); ++i)
            if (key == kRequired[i])
                return m_seen & (1u << i);
        return false;
    }

    bool null() override { return value(nullptr, nullptr, true); }
    bool boolean(bool v) override {
        const std::int64_t n = v ? 1 : 0;
        return value(nullptr, &n, false, true);
    }
    bool number_integer(number_integer_t v) override {
        const std::int64_t n = v;
        return value(nullptr, &n);
    }
    bool number_unsigned(number_unsigned_t v) override {
        if (v > static_cast<number_unsigned_t>(INT64_MAX))
            return m_depth == 1 && known(m_key) ? fail(m_key + ": expected a whole number") : true;
        const auto n = static_cast<std::int64_t>(v);
        return value(nullptr, &n);
    }
    bool number_float(number_float_t, const string_t&) override {
        return value(nullptr, nullptr, false, false, true);
    }
    bool string(string_t& v) override { return value(&v, nullptr); }
    bool binary(binary_t&) override { return fail("not a JSON object"); }
    // A column of ours must be a plain value; another column (a later schema's)
    // may be anything, and is passed over whole.
    bool start_object(std::size_t) override {
        if (m_depth++ == 0)
            return true;
        if (m_depth == 2 && known(m_key))
            return fail(m_key + ": expected a plain value, not an object");
        return true;
    }
    bool key(string_t& k) override {
        if (m_depth == 1)
            m_key = k;
        return true;
    }
    bool end_object() override {
        --m_depth;
        return true;
    }
    bool start_array(std::size_t) override {
        if (m_depth == 0)
            return fail("not a JSON object");
        if (m_depth == 1 && known(m_key))
            return fail(m_key + ": expected a plain value, not a list");
        ++m_depth;
        return true;
    }
    bool end_array() override {
        --m_depth;
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }

private:
    PlayRow& m_row;
    std::string m_key;
    int m_depth = 0;
    unsigned m_seen = 0;

    bool fail(std::string text) {
        if (problem.empty())
            problem = std::move(text);
        return false;
    }

    // One value for m_key: text, a whole number, null, or another type.
    static bool known(std::string_view key) {
        for (const char* k : {"device_id", "log_id", "item_id", "started_at", "outcome", "object",
                              "channel", "ended_at", "detail", "lang", "captions", "id",
                              "duration_ms", "sequence", "clock_trusted"})
            if (key == k)
                return true;
        return false;
    }

    bool value(std::string* text, const std::int64_t* number, bool is_null = false,
               bool is_bool = false, bool is_float = false) {
        if (m_depth == 0)
            return fail("not a JSON object");
        if (m_depth > 1)
            return true; // inside another column's object or list
        for (std::size_t i = 0; i < std::size(kRequired); ++i)
            if (m_key == kRequired[i])
                m_seen |= 1u << i;
        struct Text {
            const char* key;
            std::size_t max;
            std::string* required;
            std::optional<std::string>* optional;
        };
        const Text texts[] = {
            {"device_id", 64, &m_row.device_id, nullptr},
            {"log_id", 64, &m_row.log_id, nullptr},
            {"item_id", 128, &m_row.item_id, nullptr},
            {"started_at", 64, &m_row.started_at, nullptr},
            {"outcome", 32, &m_row.outcome, nullptr},
            {"object", 64, nullptr, &m_row.object},
            {"channel", 128, nullptr, &m_row.channel},
            {"ended_at", 64, nullptr, &m_row.ended_at},
            {"detail", 4096, nullptr, &m_row.detail},
            {"lang", 35, nullptr, &m_row.lang},
            {"captions", 35, nullptr, &m_row.captions},
        };
        for (const Text& t : texts) {
            if (m_key != t.key)
                continue;
            if (is_null) {
                if (t.optional)
                    t.optional->reset();
                else
                    t.required->clear();
                return true;
            }
            if (!text || text->size() > t.max)
                return fail(m_key + ": expected text of up to " + std::to_string(t.max) + " bytes");
            if (t.optional)
                *t.optional = std::move(*text);
            else
                *t.required = std::move(*text);
            return true;
        }
        struct Number {
            const char* key;
            std::int64_t* required;
            std::optional<std::int64_t>* optional;
        };
        const Number numbers[] = {{"id", &m_row.id, nullptr},
                                  {"duration_ms", &m_row.duration_ms, nullptr},
                                  {"sequence", nullptr, &m_row.sequence},
                                  {"clock_trusted", nullptr, &m_row.clock_trusted}};
        for (const Number& n : numbers) {
            if (m_key != n.key)
                continue;
            if (is_null) {
                if (n.optional)
                    n.optional->reset();
                else
                    *n.required = n.required == &m_row.duration_ms ? -1 : 0;
                return true;
            }
            if (!number || is_float || (is_bool && m_key != "clock_trusted"))
                return fail(m_key + ": expected a whole number");
            if (n.optional)
                *n.optional = *number;
            else
                *n.required = *number;
            return true;
        }
        return true; // another column ("uploaded"), passed over
    }
};

std::string size_text(std::uintmax_t bytes) {
    if (bytes >= (1u << 30))
        return std::to_string(bytes / (1u << 30)) + "." +
               std::to_string(bytes % (1u << 30) * 10 / (1u << 30)) + " GiB";
    if (bytes >= (1u << 20))
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

using Found = SourceFile;

// A changed file, as found before reading it.
struct ToRead {
    Found found;
    bool parse = false; // a plays file within its limit: parsed on the reader thread
};

// A plays file's rows, and its bad lines by number.
struct ParsedFile {
    bool opened = true;
    std::vector<PlayRow> rows;
    std::vector<std::pair<std::int64_t, std::string>> problems;
};

ParsedFile parse_plays_text(Result<std::string> text, const std::string& device) {
    ParsedFile out;
    if (!text) {
        out.opened = false;
        out.problems.emplace_back(0, text.error().message);
        return out;
    }
    std::istringstream in(std::move(*text));
    std::int64_t bad_lines = 0;
    std::string line;
    std::int64_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        const bool ended = !in.eof(); // a last line without its newline was cut short
        if (line.empty() && ended)
            continue;
        Result<PlayRow> row = line.size() > kMaxLine ? Result<PlayRow>(Error{"a line over 64 KiB"})
                                                     : parse_play_line(line, device);
        if (row && !ended && line.back() != '}')
            row = Error{"the last line is cut short"};
        if (!row) {
            std::string reason = row.error().message;
            if (!ended && reason.starts_with("not JSON"))
                reason = "the last line is cut short (no newline, not complete JSON)";
            // The first ones named; the rest counted (a file of garbage must not
            // fill the memory with its reasons).
            if (++bad_lines <= kProblemsNamed)
                out.problems.emplace_back(number, std::move(reason));
            continue;
        }
        out.rows.push_back(std::move(*row));
    }
    if (bad_lines > kProblemsNamed)
        out.problems.emplace_back(-(bad_lines - kProblemsNamed),
                                  std::to_string(bad_lines - kProblemsNamed) +
                                      " more bad lines, not named");
    return out;
}

class Ingester {
public:
    Ingester(FleetDb& db, Source& source, WallTime now, ClickHouseSink* clickhouse)
        : m_db(db), m_clickhouse(clickhouse), m_src(source),
          m_now(format_rfc3339_utc(now, TimeDigits::Milliseconds)),
          m_seen(
              db.prepare("SELECT size, mtime_ns, coalesce(etag, '') FROM files WHERE path = ?1")),
          m_file(db.prepare("INSERT INTO files (path, size, mtime_ns, read_at, rows, bad, etag) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (path) DO UPDATE SET "
                            "size = excluded.size, mtime_ns = excluded.mtime_ns, "
                            "read_at = excluded.read_at, rows = excluded.rows, bad = excluded.bad, "
                            "etag = excluded.etag")),
          m_forget(db.prepare("DELETE FROM problems WHERE path = ?1")),
          m_problem(db.prepare("INSERT INTO problems (path, line, reason) VALUES (?1, ?2, ?3)")),
          m_play(db.prepare(
              "INSERT INTO plays (device_id, log_id, id, item_id, object, channel, sequence, "
              "started_at, ended_at, duration_ms, outcome, detail, lang, captions, clock_trusted) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) "
              "ON CONFLICT DO NOTHING")),
          m_history(db.prepare(
              "INSERT INTO status_history (device_id, reported_at, cpu_temp_c, "
              "frames_dropped_last_hour, disk_free_mb, disk_total_mb, rows_pending, sync_ok, "
              "version, channel, sequence, current_item) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
              "?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING")),
          m_prune(
              db.prepare("DELETE FROM status_history WHERE device_id = ?1 AND reported_at < ?2")),
          m_screen(db.prepare(
              "INSERT INTO screens (device_id, site, region, reported_at, status) "
              "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (device_id) DO UPDATE SET "
              "site = excluded.site, region = excluded.region, reported_at = excluded.reported_at, "
              "status = excluded.status WHERE screens.reported_at IS NULL "
              "OR excluded.reported_at >= screens.reported_at")),
          m_picture(db.prepare(
              "INSERT INTO screens (device_id, screenshot, screenshot_at) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (device_id) DO UPDATE SET screenshot = excluded.screenshot, "
              "screenshot_at = excluded.screenshot_at WHERE screens.screenshot_at IS NULL "
              "OR excluded.screenshot_at >= screens.screenshot_at")),
          m_add_daily(db.prepare(
              "INSERT INTO daily (day, device_id, item_id, outcome, lang, plays, duration_ms) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO UPDATE SET plays = plays + "
              "excluded.plays, duration_ms = duration_ms + excluded.duration_ms")) {}

    Result<IngestReport> run(const std::function<void(const IngestProgress&)>& progress) {
        auto found = list();
        if (!found)
            return found.error();
        IngestProgress p;
        p.files_total = static_cast<std::int64_t>(found->size());
        m_report.files = p.files_total;
        // What changed since the last run: its plays files are parsed on a thread of
        // their own while this one writes what the thread parsed before.
        std::vector<ToRead> todo;
        for (const Found& f : *found)
            if (auto t = check(f))
                todo.push_back(std::move(*t));
        p.files_done = p.files_total - static_cast<std::int64_t>(todo.size());
        // Two parsed files waiting at most: a 64 MiB batch parses to about 200 MB.
        BoundedQueue<ParsedFile> parsed(2);
        std::thread reader([&] {
            for (const ToRead& t : todo) {
                if (!t.parse)
                    continue;
                ParsedFile file;
                try {
                    file = parse_plays_text(m_src.read(t.found, kMaxPlaysFile), t.found.device);
                } catch (const std::exception& e) {
                    file = ParsedFile{false, {}, {{0, std::string("cannot be read: ") + e.what()}}};
                }
                if (!parsed.push(std::move(file)))
                    return;
            }
        });
        struct Join {
            std::thread& t;
            BoundedQueue<ParsedFile>& q;
            ~Join() {
                q.abort();
                t.join();
            }
        } join{reader, parsed};

        m_db.exec("BEGIN IMMEDIATE");
        std::int64_t rows_at_commit = 0;
        for (const ToRead& t : todo) {
            std::optional<ParsedFile> file;
            if (t.parse && !(file = parsed.pop()))
                break;
            read(t, file ? &*file : nullptr);
            ++p.files_done;
            p.rows = m_rows;
            // Commit now and then: a run stopped part way keeps what it read.
            if (m_rows - rows_at_commit >= 200000) {
                commit();
                m_db.exec("BEGIN IMMEDIATE");
                rows_at_commit = m_rows;
            }
            if (progress)
                progress(p);
        }
        commit();
        if (m_clickhouse)
            m_report.clickhouse_rows = m_clickhouse->rows_sent();
        return m_report;
    }

private:
    FleetDb& m_db;
    ClickHouseSink* m_clickhouse;
    Source& m_src;
    std::string m_now;
    Statement m_seen, m_file, m_forget, m_problem, m_play, m_history, m_prune, m_screen, m_picture;
    Statement m_add_daily;
    bool m_unread = false; // the file being read could not be read
    IngestReport m_report;
    std::int64_t m_rows = 0;
    struct Sums {
        std::int64_t plays = 0, ms = 0;
    };
    // (day, device, item, outcome, lang) of the plays added since the last commit.
    std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, Sums>
        m_daily;

    Result<std::vector<Found>> list() { return m_src.list(); }

    void problem(const std::string& path, std::int64_t line, std::string reason) {
        m_problem.bind(1, path).bind(2, line).bind(3, reason);
        m_problem.run();
        m_report.problems.push_back({path, line, std::move(reason)});
    }

    // A file to read: not read before as it is now. nullopt when unchanged (or not
    // a plain file, a problem then).
    std::optional<ToRead> check(const Found& f) {
        if (f.size < 0) {
            ++m_report.bad_files;
            m_forget.bind(1, f.path);
            m_forget.run();
            problem(f.path, 0, "not a plain file");
            return std::nullopt;
        }
        // The same size and ETag (S3) or modification time (a folder): read before.
        m_seen.bind(1, f.path);
        const bool same =
            m_seen.step() && m_seen.integer(0) == f.size &&
            (f.etag.empty() ? m_seen.integer(1) == f.mtime_ns : m_seen.text(2) == f.etag);
        m_seen.reset();
        if (same) {
            ++m_report.files_unchanged;
            return std::nullopt;
        }
        return ToRead{f, f.kind == Found::Kind::Plays &&
                             static_cast<std::uintmax_t>(f.size) <= kMaxPlaysFile};
    }

    // Reads one changed file; a plays file comes parsed.
    void read(const ToRead& t, ParsedFile* parsed) {
        const Found& f = t.found;
        ++m_report.files_read;
        m_forget.bind(1, f.path);
        m_forget.run();
        std::int64_t rows = 0, bad = 0;
        const std::uintmax_t limit = f.kind == Found::Kind::Plays    ? kMaxPlaysFile
                                     : f.kind == Found::Kind::Status ? kMaxStatusFile
                                                                     : kMaxScreenshot;
        if (static_cast<std::uintmax_t>(f.size) > limit) {
            problem(f.path, 0,
                    "the file is " + size_text(static_cast<std::uintmax_t>(f.size)) +
                        ", over the " + size_text(limit) + " such a file can be: not read");
            ++m_report.bad_files;
            bad = 1;
        } else if (parsed) {
            if (!parsed->opened) {
                ++m_report.bad_files;
                bad = 1;
                m_unread = true;
            }
            for (auto& [line, reason] : parsed->problems) {
                // line > 0: a bad line; < 0: that many more, not named; 0: the file.
                const std::int64_t count = line > 0 ? 1 : -line;
                problem(f.path, std::max<std::int64_t>(line, 0), std::move(reason));
                m_report.bad_lines += count;
                bad += count;
            }
            for (const PlayRow& row : parsed->rows) {
                ++rows;
                ++m_rows;
                insert(row);
                if (m_clickhouse)
                    m_clickhouse->add_play(row);
            }
            if (m_clickhouse && m_clickhouse->full())
                if (auto r = m_clickhouse->flush(); !r)
                    throw std::runtime_error(r.error().message);
        } else {
            const WallTime at{std::chrono::milliseconds(f.mtime_ns / 1000000)};
            const bool good =
                f.kind == Found::Kind::Status ? read_status(f, at) : read_screenshot(f, at);
            if (!good) {
                ++m_report.bad_files;
                bad = 1;
            }
        }
        // A file that could not be read (a 503, a timeout, a permission) is not
        // marked read: the next run tries it again.
        if (std::exchange(m_unread, false))
            return;
        m_file.bind(1, f.path)
            .bind(2, f.size)
            .bind(3, f.mtime_ns)
            .bind(4, m_now)
            .bind(5, rows)
            .bind(6, bad)
            .bind(7, f.etag);
        m_file.run();
    }

    void insert(const PlayRow& r) {
        auto opt = [&](int i, const std::optional<std::string>& v) {
            v ? m_play.bind_static(i, *v) : m_play.bind(i, std::nullopt);
        };
        auto opt_int = [&](int i, const std::optional<std::int64_t>& v) {
            v ? m_play.bind(i, *v) : m_play.bind(i, std::nullopt);
        };
        m_play.bind_static(1, r.device_id)
            .bind_static(2, r.log_id)
            .bind(3, r.id)
            .bind_static(4, r.item_id);
        opt(5, r.object);
        opt(6, r.channel);
        opt_int(7, r.sequence);
        m_play.bind_static(8, r.started_at);
        opt(9, r.ended_at);
        m_play.bind(10, r.duration_ms).bind_static(11, r.outcome);
        opt(12, r.detail);
        opt(13, r.lang);
        opt(14, r.captions);
        opt_int(15, r.clock_trusted);
        m_play.run();
        if (m_db.changes() == 0) {
            ++m_report.plays_known;
            return;
        }
        ++m_report.plays_new;
        Sums& sums = m_daily[{r.started_at.substr(0, 10), r.device_id, r.item_id, r.outcome,
                              r.lang.value_or("")}];
        ++sums.plays;
        sums.ms += r.duration_ms;
    }

    // What was read goes to ClickHouse first: a file is marked read (committed)
    // only once its rows are there too, so a failed send is sent again next run.
    void commit() {
        if (m_clickhouse)
            if (auto r = m_clickhouse->flush(); !r)
                throw std::runtime_error(r.error().message +
                                         " (nothing of this run's last part was marked read)");
        flush_daily();
        m_db.exec("COMMIT");
    }

    // The new plays' sums into the daily roll-ups, before each commit.
    void flush_daily() {
        for (const auto& [key, sums] : m_daily) {
            const auto& [day, device, item, outcome, lang] = key;
            m_add_daily.bind(1, day).bind(2, device).bind(3, item).bind(4, outcome).bind(5, lang);
            m_add_daily.bind(6, sums.plays).bind(7, sums.ms);
            m_add_daily.run();
        }
        m_daily.clear();
    }

    bool read_status(const Found& f, WallTime at) {
        auto read = m_src.read(f, kMaxStatusFile);
        if (!read) {
            problem(f.path, 0, read.error().message);
            m_unread = true;
            return false;
        }
        const std::string& text = *read;
        if (auto bad = bad_utf8_at(text); bad != std::string::npos) {
            problem(f.path, 0, "not UTF-8 text (byte " + std::to_string(bad + 1) + ")");
            return false;
        }
        if (json_depth(text) > kMaxStatusDepth) {
            problem(f.path, 0, "nested over " + std::to_string(kMaxStatusDepth) + " deep");
            return false;
        }
        const json j = json::parse(text, nullptr, false);
        if (!j.is_object()) {
            problem(f.path, 0, "not a JSON object (cut short?)");
            return false;
        }
        Fields fields{j, {}};
        const auto device = fields.text("device_id", 64);
        const auto site = fields.text("site");
        const auto region = fields.text("region", 16);
        if (!fields.problem.empty()) {
            problem(f.path, 0, fields.problem);
            return false;
        }
        if (device && *device != f.device) {
            problem(f.path, 0,
                    "device_id \"" + *device + "\" is not its folder's, \"" + f.device + "\"");
            return false;
        }
        const std::string when = format_rfc3339_utc(at, TimeDigits::Milliseconds);
        m_history.bind(1, f.device).bind(2, when);
        bind_number(m_history, 3, j, "cpu_temp_c");
        bind_number(m_history, 4, j, "frames_dropped_last_hour");
        bind_number(m_history, 5, j, "disk_free_mb");
        bind_number(m_history, 6, j, "disk_total_mb");
        bind_number(m_history, 7, j, "rows_pending");
        if (auto r = j.find("last_sync_result"); r != j.end() && r->is_string())
            m_history.bind(
                8, std::int64_t(r->get_ref<const std::string&>().starts_with("ok") ? 1 : 0));
        bind_text(m_history, 9, j, "version");
        bind_text(m_history, 10, j, "channel");
        bind_number(m_history, 11, j, "sequence");
        bind_text(m_history, 12, j, "current_item");
        m_history.run();
        m_prune.bind(1, f.device)
            .bind(2, format_rfc3339_utc(at - kStatusHistory, TimeDigits::Milliseconds));
        m_prune.run();
        m_screen.bind(1, f.device).bind(2, site.value_or("")).bind(3, region.value_or(""));
        m_screen.bind(4, when).bind(5, text);
        m_screen.run();
        if (m_clickhouse)
            m_clickhouse->add_screen(f.device, site.value_or(""), region.value_or(""), at);
        ++m_report.statuses;
        return true;
    }

    bool read_screenshot(const Found& f, WallTime at) {
        auto read = m_src.read(f, kMaxScreenshot);
        if (!read) {
            problem(f.path, 0, read.error().message);
            m_unread = true;
            return false;
        }
        const std::string& bytes = *read;
        if (!bytes.starts_with("\x89PNG\r\n\x1a\n")) {
            problem(f.path, 0, "not a PNG");
            return false;
        }
        m_picture.bind(1, f.device)
            .bind_blob(2, bytes)
            .bind(3, format_rfc3339_utc(at, TimeDigits::Milliseconds));
        m_picture.run();
        ++m_report.screenshots;
        return true;
    }
};

} // namespace

bool is_device_id(std::string_view name) {
    return !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-';
           });
}

Result<PlayRow> parse_play_line(std::string_view line, std::string_view device) {
    if (auto bad = bad_utf8_at(line); bad != std::string_view::npos)
        return Error{"not UTF-8 text (byte " + std::to_string(bad + 1) + ")"};
    PlayRow r;
    r.duration_ms = -1; // missing: refused below
    RowReader reader(r);
    const bool parsed = json::sax_parse(line.begin(), line.end(), &reader);
    if (!reader.problem.empty())
        return Error{reader.problem};
    if (!parsed)
        return Error{"not JSON"};
    // The columns every row of this schema has.
    for (const char* key : kRequired)
        if (!reader.has(key))
            return Error{std::string("no \"") + key + "\": a row of another schema version"};
    if (r.device_id != device)
        return Error{"device_id \"" + r.device_id + "\" is not its folder's, \"" +
                     std::string(device) + "\""};
    if (!is_hex16(r.log_id))
        return Error{"log_id: expected 16 hex digits"};
    if (r.id < 1)
        return Error{"id: expected a row number from 1"};
    if (r.item_id.empty())
        return Error{"item_id: empty"};
    auto started = parse_rfc3339(r.started_at);
    if (!started)
        return Error{"started_at: expected an RFC 3339 time"};
    // Stored in one form (UTC, milliseconds), so that its first 10 characters are its day.
    r.started_at = format_rfc3339_utc(*started, TimeDigits::Milliseconds);
    if (r.duration_ms < 0 || r.duration_ms > kMaxPlayMs)
        return Error{"duration_ms: expected a whole number of milliseconds, 0 to 86400000 (a "
                     "day)"};
    if (std::find(kOutcomes.begin(), kOutcomes.end(), r.outcome) == kOutcomes.end())
        return Error{"outcome: expected completed, interrupted, skipped or failed"};
    return r;
}

Result<IngestReport> ingest(FleetDb& db, Source& source, WallTime now,
                            const std::function<void(const IngestProgress&)>& progress,
                            ClickHouseSink* clickhouse) {
    try {
        Ingester ingester(db, source, now, clickhouse);
        return ingester.run(progress);
    } catch (const std::runtime_error& e) {
        return Error{e.what()};
    }
}

} // namespace milepost::fleet
