#include "ProofOfPlay.hpp"

#include "service/ClockTrust.hpp"

#include <nlohmann/json.hpp>

namespace milepost {

ProofOfPlay::ProofOfPlay(const std::filesystem::path& data_dir, bool clock_given)
    : m_data_dir(data_dir), m_clock_given(clock_given),
      m_recorder(PlayRecorder::open(data_dir / "playlog.db")) {}

bool ProofOfPlay::trusted(WallTime at) const {
    return !m_clock_given && wall_clock_trusted(at);
}

void ProofOfPlay::started(Clock::time_point now, PlayStart start) {
    m_outcome = "completed";
    m_detail.clear();
    m_note.clear();
    m_started = now;
    if (!m_recorder)
        return;
    start.clock_trusted = trusted(start.started_at);
    m_token = m_recorder->started(start);
}

void ProofOfPlay::note(const std::string& what) {
    if (!what.empty())
        m_note += (m_note.empty() ? "" : "; ") + what;
}

void ProofOfPlay::failed(std::string why) {
    m_outcome = "failed";
    m_detail = std::move(why);
}

void ProofOfPlay::ended(Clock::time_point now, WallTime at, const std::string& interrupted,
                        bool stopped) {
    if (m_recorder && m_token) {
        // Cut short by a stop, an alert or a cover: interrupted; else as it went.
        std::string outcome = m_outcome, why = m_detail;
        if (stopped) {
            outcome = "interrupted";
            why = "the player stopped";
        } else if (!interrupted.empty() && outcome == "completed") {
            outcome = "interrupted";
            why = interrupted;
        }
        if (!m_note.empty())
            why += (why.empty() ? "" : "; ") + m_note;
        const auto lasted = std::chrono::duration_cast<std::chrono::milliseconds>(now - m_started);
        m_recorder->ended(m_token, PlayEnd{at, lasted.count(), outcome, why});
    }
    m_token = 0;
}

void ProofOfPlay::failed_unshown(PlayStart start, const std::string& why) {
    if (!m_recorder)
        return;
    start.clock_trusted = trusted(start.started_at);
    const auto token = m_recorder->started(start);
    m_recorder->ended(token, PlayEnd{start.started_at, 0, "failed", why});
}

long ProofOfPlay::dropped_last_hour(Clock::time_point now) {
    while (!m_drops.empty() && now - m_drops.front().first > std::chrono::hours(1))
        m_drops.pop_front();
    long dropped = 0;
    for (const auto& [at, count] : m_drops)
        dropped += count;
    return dropped;
}

// Written at each item start, by the recorder's thread, through a rename, not
// synced: it is news, not a record.
void ProofOfPlay::publish_status(Clock::time_point now, WallTime at, const std::string& current,
                                 const std::string& channel, std::int64_t sequence) {
    nlohmann::ordered_json j;
    j["current_item"] = current;
    j["channel"] = channel;
    j["sequence"] = sequence;
    j["since"] = format_rfc3339_utc(at);
    j["frames_dropped_last_hour"] = dropped_last_hour(now);
    if (m_recorder)
        m_recorder->publish(m_data_dir / "player.json", j.dump() + "\n");
}

} // namespace milepost
