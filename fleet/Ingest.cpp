#include "Ingest.hpp"

#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <stdexcept>

namespace milepost::fleet {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The offset of the first byte that breaks UTF-8, or npos.
std::size_t bad_utf8_at(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xE  ? 3
                        : (c >> 3) == 0x1E ? 4
                                           : 0;
        if (n == 0 || (n == 2 && c < 0xC2) || i + n > s.size())
            return i;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
                return i;
        if (n == 3) { // no overlong forms, no surrogates
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))
                return i;
        }
        if (n == 4) {
            const auto c1 = static_cast<unsigned char>(s[i + 1]);
            if ((c == 0xF0 && c1 < 0x90) || c > 0xF4 || (c == 0xF4 && c1 >= 0x90))
                return i;
        }
        i += n;
    }
    return std::string_view::npos;
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

std::int64_t mtime_ns(const struct stat& st) {
    return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

WallTime mtime_of(const struct stat& st) {
    return WallTime(std::chrono::milliseconds(static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 +
                                              st.st_mtim.tv_nsec / 1000000));
}

std::string size_text(std::uintmax_t bytes) {
    if (bytes >= (1u << 30))
        return std::to_string(bytes / (1u << 30)) + "." +
               std::to_string(bytes % (1u << 30) * 10 / (1u << 30)) + " GiB";
    if (bytes >= (1u << 20))
        return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

// A file found under SOURCE, and what it is.
struct Found {
    enum class Kind { Plays, Status, Screenshot } kind;
    std::string device;
    std::string path; // as under SOURCE
};

class Ingester {
public:
    Ingester(FleetDb& db, const fs::path& source, WallTime now)
        : m_db(db), m_source(source), m_now(format_rfc3339_utc(now, TimeDigits::Milliseconds)),
          m_seen(db.prepare("SELECT size, mtime_ns FROM files WHERE path = ?1")),
          m_file(
              db.prepare("INSERT INTO files (path, size, mtime_ns, read_at, rows, bad) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (path) DO UPDATE SET "
                         "size = excluded.size, mtime_ns = excluded.mtime_ns, "
                         "read_at = excluded.read_at, rows = excluded.rows, bad = excluded.bad")),
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
              "OR excluded.screenshot_at >= screens.screenshot_at")) {}

    Result<IngestReport> run(const std::function<void(const IngestProgress&)>& progress) {
        auto found = list();
        if (!found)
            return found.error();
        IngestProgress p;
        p.files_total = static_cast<std::int64_t>(found->size());
        m_report.files = p.files_total;
        m_db.exec("BEGIN IMMEDIATE");
        std::int64_t rows_at_commit = 0;
        for (const Found& f : *found) {
            read(f);
            ++p.files_done;
            p.rows = m_rows;
            // Commit now and then: a run stopped part way keeps what it read.
            if (m_rows - rows_at_commit >= 200000) {
                m_db.exec("COMMIT; BEGIN IMMEDIATE");
                rows_at_commit = m_rows;
            }
            if (progress)
                progress(p);
        }
        m_db.exec("COMMIT");
        return m_report;
    }

private:
    FleetDb& m_db;
    fs::path m_source;
    std::string m_now;
    Statement m_seen, m_file, m_forget, m_problem, m_play, m_history, m_prune, m_screen, m_picture;
    IngestReport m_report;
    std::int64_t m_rows = 0;

    Result<std::vector<Found>> list() {
        std::vector<Found> out;
        std::error_code ec;
        fs::directory_iterator top(m_source, ec);
        if (ec)
            return Error{m_source.string() + ": cannot be read: " + ec.message()};
        std::vector<std::string> devices;
        for (const auto& entry : top) {
            const std::string name = entry.path().filename().string();
            if (entry.is_directory(ec) && !entry.is_symlink(ec) && is_device_id(name))
                devices.push_back(name);
        }
        std::sort(devices.begin(), devices.end());
        for (const std::string& d : devices) {
            std::vector<std::string> batches;
            for (fs::directory_iterator it(m_source / d / "plays", ec), end; !ec && it != end;
                 it.increment(ec)) {
                const std::string name = it->path().filename().string();
                if (name.ends_with(".ndjson"))
                    batches.push_back(name);
            }
            std::sort(batches.begin(), batches.end());
            for (const std::string& b : batches)
                out.push_back({Found::Kind::Plays, d, d + "/plays/" + b});
            ec.clear();
            if (fs::exists(m_source / d / "status.json", ec))
                out.push_back({Found::Kind::Status, d, d + "/status.json"});
            if (fs::exists(m_source / d / "screenshot.png", ec))
                out.push_back({Found::Kind::Screenshot, d, d + "/screenshot.png"});
        }
        return out;
    }

    void problem(const std::string& path, std::int64_t line, std::string reason) {
        m_problem.bind(1, path).bind(2, line).bind(3, reason);
        m_problem.run();
        m_report.problems.push_back({path, line, std::move(reason)});
    }

    // Reads one file unless it was read before as it is now.
    void read(const Found& f) {
        const fs::path file = m_source / f.path;
        struct stat st {};
        if (::lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            ++m_report.bad_files;
            m_report.problems.push_back({f.path, 0, "not a plain file"});
            return;
        }
        const auto size = static_cast<std::int64_t>(st.st_size);
        m_seen.bind(1, f.path);
        const bool same =
            m_seen.step() && m_seen.integer(0) == size && m_seen.integer(1) == mtime_ns(st);
        m_seen.reset();
        if (same) {
            ++m_report.files_unchanged;
            return;
        }
        ++m_report.files_read;
        m_forget.bind(1, f.path);
        m_forget.run();
        std::int64_t rows = 0, bad = 0;
        const std::uintmax_t limit = f.kind == Found::Kind::Plays    ? kMaxPlaysFile
                                     : f.kind == Found::Kind::Status ? kMaxStatusFile
                                                                     : kMaxScreenshot;
        if (static_cast<std::uintmax_t>(size) > limit) {
            problem(f.path, 0,
                    "the file is " + size_text(static_cast<std::uintmax_t>(size)) + ", over the " +
                        size_text(limit) + " such a file can be: not read");
            ++m_report.bad_files;
            bad = 1;
        } else if (f.kind == Found::Kind::Plays) {
            read_plays(f, file, rows, bad);
        } else {
            const bool good = f.kind == Found::Kind::Status
                                  ? read_status(f, file, mtime_of(st))
                                  : read_screenshot(f, file, mtime_of(st));
            if (!good) {
                ++m_report.bad_files;
                bad = 1;
            }
        }
        m_file.bind(1, f.path)
            .bind(2, size)
            .bind(3, mtime_ns(st))
            .bind(4, m_now)
            .bind(5, rows)
            .bind(6, bad);
        m_file.run();
    }

    void read_plays(const Found& f, const fs::path& file, std::int64_t& rows, std::int64_t& bad) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            problem(f.path, 0, "cannot be opened");
            ++m_report.bad_files;
            bad = 1;
            return;
        }
        std::string line;
        std::int64_t number = 0;
        while (std::getline(in, line)) {
            ++number;
            const bool ended = !in.eof(); // a last line without its newline was cut short
            if (line.empty() && ended)
                continue;
            Result<PlayRow> row = line.size() > kMaxLine
                                      ? Result<PlayRow>(Error{"a line over 64 KiB"})
                                      : parse_play_line(line, f.device);
            if (row && !ended && line.back() != '}')
                row = Error{"the last line is cut short"};
            if (!row) {
                std::string reason = row.error().message;
                if (!ended && reason.starts_with("not JSON"))
                    reason = "the last line is cut short (no newline, not complete JSON)";
                problem(f.path, number, reason);
                ++m_report.bad_lines;
                ++bad;
                continue;
            }
            ++rows;
            ++m_rows;
            insert(*row);
        }
    }

    void insert(const PlayRow& r) {
        auto opt = [&](int i, const std::optional<std::string>& v) {
            v ? m_play.bind(i, *v) : m_play.bind(i, std::nullopt);
        };
        auto opt_int = [&](int i, const std::optional<std::int64_t>& v) {
            v ? m_play.bind(i, *v) : m_play.bind(i, std::nullopt);
        };
        m_play.bind(1, r.device_id).bind(2, r.log_id).bind(3, r.id).bind(4, r.item_id);
        opt(5, r.object);
        opt(6, r.channel);
        opt_int(7, r.sequence);
        m_play.bind(8, r.started_at);
        opt(9, r.ended_at);
        m_play.bind(10, r.duration_ms).bind(11, r.outcome);
        opt(12, r.detail);
        opt(13, r.lang);
        opt(14, r.captions);
        opt_int(15, r.clock_trusted);
        m_play.run();
        if (m_db.changes() > 0)
            ++m_report.plays_new;
        else
            ++m_report.plays_known;
    }

    bool read_status(const Found& f, const fs::path& file, WallTime at) {
        std::ifstream in(file, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        if (auto bad = bad_utf8_at(text); bad != std::string::npos) {
            problem(f.path, 0, "not UTF-8 text (byte " + std::to_string(bad + 1) + ")");
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
        ++m_report.statuses;
        return true;
    }

    bool read_screenshot(const Found& f, const fs::path& file, WallTime at) {
        std::ifstream in(file, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
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
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded())
        return Error{"not JSON"};
    if (!j.is_object())
        return Error{"not a JSON object"};
    // The columns every row of this schema has.
    for (const char* key : {"device_id", "log_id", "id", "item_id", "started_at", "outcome"})
        if (!j.contains(key))
            return Error{std::string("no \"") + key + "\": a row of another schema version"};
    Fields f{j, {}};
    PlayRow r;
    r.device_id = f.text("device_id", 64).value_or("");
    r.log_id = f.text("log_id", 64).value_or("");
    r.id = f.integer("id").value_or(0);
    r.item_id = f.text("item_id", 128).value_or("");
    r.object = f.text("object", 64);
    r.channel = f.text("channel", 128);
    r.sequence = f.integer("sequence");
    r.started_at = f.text("started_at", 64).value_or("");
    r.ended_at = f.text("ended_at", 64);
    r.duration_ms = f.integer("duration_ms").value_or(-1);
    r.outcome = f.text("outcome", 32).value_or("");
    r.detail = f.text("detail");
    r.lang = f.text("lang", 35);
    r.captions = f.text("captions", 35);
    r.clock_trusted = f.integer("clock_trusted");
    if (!f.problem.empty())
        return Error{f.problem};
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
    if (r.duration_ms < 0)
        return Error{"duration_ms: expected a whole number of milliseconds, 0 or more"};
    if (std::find(kOutcomes.begin(), kOutcomes.end(), r.outcome) == kOutcomes.end())
        return Error{"outcome: expected completed, interrupted, skipped or failed"};
    return r;
}

Result<IngestReport> ingest_folder(FleetDb& db, const fs::path& source, WallTime now,
                                   const std::function<void(const IngestProgress&)>& progress) {
    try {
        Ingester ingester(db, source, now);
        return ingester.run(progress);
    } catch (const std::runtime_error& e) {
        return Error{e.what()};
    }
}

} // namespace milepost::fleet
