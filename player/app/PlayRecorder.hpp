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
#include <thread>
#include <variant>

namespace milepost {

class PlayRecorder {
public:
    // Opens the play log and marks the rows a killed run left open as
    // interrupted. An error says why (the player then plays without a log).
    static Result<std::unique_ptr<PlayRecorder>> open(const std::filesystem::path& file);
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
    // Starts refused because the writer fell kMaxQueued behind.
    std::uint64_t dropped();

private:
    explicit PlayRecorder(PlayLog log);
    void run();
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
    };
    using Event = std::variant<Start, End, Publish, Screenshot>;
    // Writes the rows of `events` in one transaction; false (rolled back, nothing
    // written) when SQLite refused, to be tried again.
    bool write_rows(const std::deque<Event>& events);
    void write_files(const std::deque<Event>& events);
    bool queue(Event event, bool refusable);

    // The render loop's side.
    std::uint64_t m_next_token = 1;

    std::mutex m_mutex;             // guards m_events, m_stop and m_dropped
    std::condition_variable m_wake; // signalled when an event is queued or on stop
    std::deque<Event> m_events;     // bounded for starts: see kMaxQueued
    bool m_stop = false;
    std::uint64_t m_dropped = 0;

    // The writer thread's side.
    PlayLog m_log;
    std::map<std::uint64_t, std::int64_t> m_rows; // token -> row id of rows still open
    std::thread m_thread;
};

} // namespace milepost
