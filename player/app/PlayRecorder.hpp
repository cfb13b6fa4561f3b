#pragma once
// Writes the player's plays rows on a thread of its own, so that SQLite (and an
// SD card's pauses) never hold up a frame: the render loop only queues. The same
// thread writes the player's status file and encodes its screenshots.
#include "render/SdlHandles.hpp"
#include "store/PlayLog.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

namespace milepost {

// How often the writer tries to open a play log it could not open.
inline constexpr std::chrono::seconds kReopenAfter{10};

class PlayRecorder {
public:
    // Opens the play log (setting a damaged one aside) and marks the rows a
    // killed run left open as interrupted. When it cannot be opened now (the
    // other program holds it, a full disk, a file the player may not move), the
    // writer thread opens it later, every kReopenAfter: proof of play is never
    // given up for the rest of a run.
    static std::unique_ptr<PlayRecorder> open(const std::filesystem::path& file);
    ~PlayRecorder(); // writes what is queued, then stops the thread

    // Called from the render loop; they only queue. `started` returns the token
    // that `ended` takes. Ends are never refused; starts are when the writer has
    // fallen kMaxQueued behind (the disk has stalled for minutes).
    std::uint64_t started(PlayStart start);
    void ended(std::uint64_t token, PlayEnd end);
    // Replaces `file` with `text` (through a rename, not synced): the player's
    // news for milepost-sync's status.
    void publish(std::filesystem::path file, std::string text);
    // Scales `picture` to `width` pixels wide and writes it to `png` (through a
    // rename): the screenshot, encoded off the render loop.
    void save_screenshot(SurfacePtr picture, int width, std::filesystem::path png);
    // Writes `picture` to `png` as it is (through a rename), unless `png` already
    // holds the same pixels: the splash, which an SD card should not be written
    // for at every start.
    void save_picture(SurfacePtr picture, std::filesystem::path png);
    // Starts refused because the writer fell kMaxQueued behind.
    std::uint64_t dropped();
    // While held, what is queued is handed to the writer only at release_wakes().
    // Woken at once, the writer's thread takes a core for its transaction: at an
    // item's change that came between the boundary and the next item's first frame
    // (0.3-0.9 ms here). The render loop holds it through each turn and releases it
    // once the turn's frame is presented, before it waits.
    void hold_wakes();
    void release_wakes();

private:
    PlayRecorder(std::filesystem::path file, std::optional<PlayLog> log);
    void run();
    // Opens the log with its damage check; nullopt (logged) when it cannot.
    static std::optional<PlayLog> open_log(const std::filesystem::path& file);
    // The writer thread: closes the log and opens it again (or for the first time).
    void reopen();
    struct Start {
        std::uint64_t token;
        PlayStart start;
    };
    struct End {
        std::uint64_t token;
        PlayEnd end;
    };
    struct Publish {
        std::filesystem::path file;
        std::string text;
    };
    struct Screenshot {
        std::shared_ptr<SDL_Surface> picture;
        int width;
        std::filesystem::path png;
        bool unless_same = false; // not written when `png` already holds these pixels
    };
    using Event = std::variant<Start, End, Publish, Screenshot>;
    void queue_picture(Screenshot shot); // for save_screenshot and save_picture
    // Writes the rows of `events` in one transaction; false (rolled back, nothing
    // written) when SQLite refused, to be tried again.
    bool write_rows(const std::deque<Event>& events);
    // The writer thread, after SQLite refused `retry`'s rows for the `failures`th
    // time in a row: they are kept to be tried again, the log opened again now and
    // then, or, after a minute of refusals of an open log or at the stop, dropped
    // and said so. Returns the failures still counted.
    int after_refusal(std::deque<Event>& retry, int failures, bool stop);
    void write_files(const std::deque<Event>& events);
    bool queue(Event event, bool refusable);

    // The render loop's side.
    std::uint64_t m_next_token = 1;

    std::mutex m_mutex;             // guards m_events, m_stop, m_dropped and the wakes
    std::condition_variable m_wake; // signalled when an event is queued or on stop
    std::deque<Event> m_events;     // bounded for starts: see kMaxQueued
    bool m_stop = false;
    std::uint64_t m_dropped = 0;
    bool m_wakes_held = false; // hold_wakes() until release_wakes()

    // The writer thread's side.
    const std::filesystem::path m_file;
    std::optional<PlayLog> m_log;                 // empty until it could be opened
    std::map<std::uint64_t, std::int64_t> m_rows; // token -> row id of rows still open
    std::thread m_thread;
};

} // namespace milepost
