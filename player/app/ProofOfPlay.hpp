#pragma once
// Proof of play for the player's loop: one row in the play log per showing, from
// when it went on screen to how it ended (completed, interrupted and why, failed
// and why), rows for items that failed before they were shown, and player.json,
// the news milepost-sync sends with the status. Rows are written by the
// recorder's thread; without a play log (none could be opened) the screen plays on.
#include "LoopClock.hpp"
#include "PlayRecorder.hpp"

#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace milepost {

class ProofOfPlay {
public:
    // `clock_given`: the wall clock was set by --clock-start, a test's: never trusted.
    ProofOfPlay(const std::filesystem::path& data_dir, bool clock_given);

    // A showing went on screen at `now`: its row begins (`start.clock_trusted` is
    // set here), completed unless told otherwise.
    void started(Clock::time_point now, PlayStart start);
    // Something of the showing on screen went wrong without stopping it (a caption
    // file): its row's detail says so, whatever its outcome ("": nothing).
    void note(const std::string& what);
    // The showing on screen failed: its row ends failed when it ends.
    void failed(std::string why);
    // The showing on screen ends at `now` (`at` on the wall clock). `interrupted`:
    // why it was cut short or not seen, "" when it was not; `stopped`: the player
    // stops.
    void ended(Clock::time_point now, WallTime at, const std::string& interrupted, bool stopped);
    // An item that failed before it was shown: a row of its own, lasting nothing.
    void failed_unshown(PlayStart start, const std::string& why);

    // A video's frames dropped, counted for the last hour.
    void dropped(Clock::time_point now, long frames) { m_drops.emplace_back(now, frames); }
    long dropped_last_hour(Clock::time_point now);
    // player.json: the item on screen, since when, and the frames dropped.
    void publish_status(Clock::time_point now, WallTime at, const std::string& current,
                        const std::string& channel, std::int64_t sequence);

    PlayRecorder* recorder() const { return m_recorder.get(); }

private:
    bool trusted(WallTime at) const;

    std::filesystem::path m_data_dir;
    bool m_clock_given;
    std::unique_ptr<PlayRecorder> m_recorder; // nullptr: no play log could be opened
    std::uint64_t m_token = 0;                // the row of the showing on screen, 0 = none
    Clock::time_point m_started;              // when it went on screen
    std::string m_outcome;                    // how its row ends: completed, failed
    std::string m_detail;
    std::string m_note; // what note() said of the showing on screen
    std::deque<std::pair<Clock::time_point, long>> m_drops; // per video item, last hour
};

} // namespace milepost
