#include "PlayRecorder.hpp"

#include "core/Log.hpp"
#include "core/ThreadPriority.hpp"
#include "store/Files.hpp"

#include <SDL_image.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace milepost {

namespace {

// Whether the picture in the file `png` shows what `picture` (32 bits a pixel)
// shows: the same colours (the unused byte of each pixel aside).
bool same_pixels(const std::filesystem::path& png, SDL_Surface* picture) {
    SurfacePtr kept(IMG_Load(png.c_str()));
    if (kept)
        kept.reset(SDL_ConvertSurfaceFormat(kept.get(), picture->format->format, 0));
    if (!kept || kept->w != picture->w || kept->h != picture->h ||
        picture->format->BytesPerPixel != 4)
        return false;
    const Uint32 colour = picture->format->Rmask | picture->format->Gmask | picture->format->Bmask;
    for (int y = 0; y < picture->h; ++y) {
        const auto* a = reinterpret_cast<const Uint32*>(static_cast<const char*>(kept->pixels) +
                                                        static_cast<ptrdiff_t>(y) * kept->pitch);
        const auto* b = reinterpret_cast<const Uint32*>(static_cast<const char*>(picture->pixels) +
                                                        static_cast<ptrdiff_t>(y) * picture->pitch);
        for (int x = 0; x < picture->w; ++x)
            if ((a[x] ^ b[x]) & colour)
                return false;
    }
    return true;
}

// Items last seconds; this many events queued means the disk has stalled.
constexpr std::size_t kMaxQueued = 1000;
// A checkpoint keeps the WAL file small.
constexpr auto kCheckpointEvery = std::chrono::minutes(5);
// After SQLite refused a write (locked for long, disk full): the wait before the
// same rows are tried again.
constexpr auto kRetryAfter = std::chrono::seconds(2);
// Refusals in a row after which the log is opened again, checked for damage: a
// file damaged while the player runs is set aside and a new log started.
constexpr int kReopenAfterFailures = 5;
} // namespace

std::optional<PlayLog> PlayRecorder::open_log(const std::filesystem::path& file) {
    // A damaged log is set aside and a new one started: proof of play goes on
    // being written, and the damaged file is kept for a person to read.
    auto log = PlayLog::open(file, PlayLog::Durability::EachCommit, PlayLog::Check::Quick);
    if (!log) {
        log::error("play log: " + log.error().message + " (tried again in " +
                   std::to_string(kReopenAfter.count()) + " s)");
        return std::nullopt;
    }
    if (log->replaced_now())
        log::error(log->replaced());
    auto closed = log->close_interrupted("the player stopped while it was on screen "
                                         "(power cut or crash)");
    if (!closed) {
        log::error("play log: " + closed.error().message);
        return std::nullopt;
    }
    if (*closed > 0)
        log::warn(file.string() + ": " + std::to_string(*closed) +
                  " play(s) left open by the last run recorded as interrupted");
    return std::move(*log);
}

std::unique_ptr<PlayRecorder> PlayRecorder::open(const std::filesystem::path& file) {
    return std::unique_ptr<PlayRecorder>(new PlayRecorder(file, open_log(file)));
}

PlayRecorder::PlayRecorder(std::filesystem::path file, std::optional<PlayLog> log)
    : m_file(std::move(file)), m_log(std::move(log)) {
    m_thread = std::thread([this] {
        give_way_to_render("play-recorder");
        run();
        SDL_TLSCleanup(); // the error buffer SDL made for this thread (IMG_Load of a missing file)
    });
}

PlayRecorder::~PlayRecorder() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

void PlayRecorder::hold_wakes() {
    std::lock_guard lock(m_mutex);
    m_wakes_held = true;
}

void PlayRecorder::release_wakes() {
    std::lock_guard lock(m_mutex);
    m_wakes_held = false;
    if (!m_events.empty()) // queued while held, not yet taken by the writer
        m_wake.notify_one();
}

bool PlayRecorder::queue(Event event, bool refusable) {
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (refusable && m_events.size() >= kMaxQueued) {
            ++m_dropped;
            return false;
        }
        m_events.push_back(std::move(event));
        wake = !m_wakes_held;
    }
    if (wake)
        m_wake.notify_one();
    return true;
}

std::uint64_t PlayRecorder::started(PlayStart start) {
    const std::uint64_t token = m_next_token++;
    queue(Start{token, std::move(start)}, true);
    return token;
}

void PlayRecorder::ended(std::uint64_t token, PlayEnd end) {
    queue(End{token, std::move(end)}, false);
}

void PlayRecorder::publish(std::filesystem::path file, std::string text) {
    std::lock_guard lock(m_mutex);
    if (m_events.size() < kMaxQueued) // news, not a record: the next one will do
        m_events.push_back(Publish{std::move(file), std::move(text)});
    if (!m_wakes_held)
        m_wake.notify_one();
}

void PlayRecorder::save_screenshot(SurfacePtr picture, int width, std::filesystem::path png) {
    queue_picture(
        {std::shared_ptr<SDL_Surface>(picture.release(), &SDL_FreeSurface), width, std::move(png)});
}

void PlayRecorder::save_picture(SurfacePtr picture, std::filesystem::path png) {
    queue_picture({std::shared_ptr<SDL_Surface>(picture.release(), &SDL_FreeSurface), 0,
                   std::move(png), true});
}

void PlayRecorder::queue_picture(Screenshot shot) {
    std::lock_guard lock(m_mutex);
    if (m_events.size() < kMaxQueued)
        m_events.push_back(std::move(shot));
    if (!m_wakes_held)
        m_wake.notify_one();
}

std::uint64_t PlayRecorder::dropped() {
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

bool PlayRecorder::write_rows(const std::deque<Event>& events) {
    bool any = false;
    for (const auto& e : events)
        any = any || std::holds_alternative<Start>(e) || std::holds_alternative<End>(e);
    if (!any)
        return true;
    if (!m_log)
        return false;
    if (auto begun = m_log->begin(); !begun) {
        log::error("play log: " + begun.error().message);
        return false;
    }
    auto rows = m_rows; // restored if the transaction is rolled back
    bool ok = true;
    for (const auto& event : events) {
        if (const auto* s = std::get_if<Start>(&event)) {
            auto id = m_log->insert_start(s->start);
            if (!id) {
                log::error("play log: " + id.error().message);
                ok = false;
                break;
            }
            rows[s->token] = *id;
        } else if (const auto* e = std::get_if<End>(&event)) {
            auto it = rows.find(e->token);
            if (it == rows.end())
                continue; // its start was refused
            if (auto r = m_log->finish(it->second, e->end); !r) {
                log::error("play log: " + r.error().message);
                ok = false;
                break;
            }
            rows.erase(it);
        }
    }
    if (ok) {
        if (auto r = m_log->commit(); !r) {
            log::error("play log: " + r.error().message);
            ok = false;
        }
    }
    if (!ok) {
        m_log->rollback();
        return false;
    }
    m_rows = std::move(rows);
    return true;
}

void PlayRecorder::write_files(const std::deque<Event>& events) {
    for (const auto& event : events) {
        if (const auto* p = std::get_if<Publish>(&event)) {
            const std::string tmp = p->file.string() + ".tmp";
            if (FILE* f = std::fopen(tmp.c_str(), "w")) {
                const bool ok = std::fwrite(p->text.data(), 1, p->text.size(), f) == p->text.size();
                if (std::fclose(f) == 0 && ok)
                    std::rename(tmp.c_str(), p->file.c_str());
            }
        } else if (const auto* s = std::get_if<Screenshot>(&event)) {
            SDL_Surface* in = s->picture.get();
            if (s->unless_same && same_pixels(s->png, in))
                continue;
            SurfacePtr scaled;
            SDL_Surface* out = in;
            if (s->width > 0 && s->width < in->w) {
                const int h = std::max(1, in->h * s->width / in->w);
                scaled.reset(
                    SDL_CreateRGBSurfaceWithFormat(0, s->width, h, 32, in->format->format));
                if (!scaled || SDL_SoftStretchLinear(in, nullptr, scaled.get(), nullptr) != 0) {
                    log::warn(s->png.string() + ": cannot scale the screenshot: " + SDL_GetError());
                    continue;
                }
                out = scaled.get();
            }
            // The splash is synced: a power cut must not leave an empty one.
            const std::string tmp = s->png.string() + ".tmp";
            if (IMG_SavePNG(out, tmp.c_str()) != 0) {
                log::warn(s->png.string() + ": cannot write the picture: " + IMG_GetError());
                std::remove(tmp.c_str());
            } else if ((s->unless_same && !sync_file(tmp)) ||
                       std::rename(tmp.c_str(), s->png.c_str()) != 0 ||
                       (s->unless_same && !sync_directory(s->png.parent_path()))) {
                log::warn(s->png.string() +
                          ": cannot put the picture in place: " + std::strerror(errno));
                std::remove(tmp.c_str());
            } else if (s->unless_same) {
                log::info(s->png.string() + ": written (what the screen shows when it starts)");
            }
        }
    }
}

void PlayRecorder::reopen() {
    const std::string before = m_log ? m_log->log_id() : "";
    m_log.reset(); // closed first: a damaged file can then be set aside
    m_log = open_log(m_file);
    // Rows still open in another file are not finished in this one.
    if (!m_log || m_log->log_id() != before)
        m_rows.clear();
}

int PlayRecorder::after_refusal(std::deque<Event>& retry, int failures, bool stop) {
    if (!m_log && !stop) {
        // No log: what is queued is kept (bounded), the files written, and the
        // log opened again every kReopenAfter.
        write_files(retry);
        std::erase_if(retry, [](const Event& e) {
            return std::holds_alternative<Publish>(e) || std::holds_alternative<Screenshot>(e);
        });
        while (retry.size() > kMaxQueued)
            retry.pop_front();
        if (failures % (kReopenAfter / kRetryAfter) == 0)
            reopen();
        return failures;
    }
    if (failures == kReopenAfterFailures && !stop) {
        reopen();
        return failures;
    }
    if (failures < 30 && !stop)
        return failures;
    // A minute of refusals (or the player stopping): the rows are lost, and said
    // so, rather than held up forever.
    log::error("play log: " + std::to_string(retry.size()) +
               " event(s) could not be written and are dropped");
    write_files(retry);
    retry.clear();
    m_rows.clear();
    return 0;
}

void PlayRecorder::run() {
    auto last_checkpoint = std::chrono::steady_clock::now();
    auto last_drop_log = last_checkpoint - std::chrono::hours(1);
    std::uint64_t dropped_logged = 0;
    std::deque<Event> retry; // rows SQLite refused, tried again before anything newer
    int failures = 0;
    while (true) {
        std::deque<Event> batch;
        bool stop = false;
        std::uint64_t dropped = 0;
        {
            std::unique_lock lock(m_mutex);
            const auto wait =
                retry.empty() ? std::chrono::duration_cast<std::chrono::seconds>(kCheckpointEvery)
                              : kRetryAfter;
            m_wake.wait_for(lock, wait,
                            [&] { return m_stop || (retry.empty() && !m_events.empty()); });
            batch.swap(m_events);
            stop = m_stop;
            dropped = m_dropped;
        }
        if (dropped > dropped_logged &&
            std::chrono::steady_clock::now() - last_drop_log >= std::chrono::minutes(1)) {
            last_drop_log = std::chrono::steady_clock::now();
            log::error("play log: " + std::to_string(dropped - dropped_logged) +
                       " play(s) not recorded: the disk is not keeping up");
            dropped_logged = dropped;
        }
        // Everything queued meanwhile in one transaction: usually one item's end
        // and the next one's start. Files are written after it, outside the lock.
        for (auto& e : batch)
            retry.push_back(std::move(e));
        if (write_rows(retry)) {
            write_files(retry);
            retry.clear();
            failures = 0;
        } else {
            failures = after_refusal(retry, failures + 1, stop);
        }
        const auto now = std::chrono::steady_clock::now();
        if (stop || now - last_checkpoint >= kCheckpointEvery) {
            last_checkpoint = now;
            if (auto r = m_log ? m_log->checkpoint() : Result<void>{}; !r)
                log::warn("play log: " + r.error().message);
        }
        if (stop)
            return;
    }
}

} // namespace milepost
