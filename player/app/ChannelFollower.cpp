#include "ChannelFollower.hpp"

#include "core/Log.hpp"

#include <algorithm>

namespace milepost {

namespace {
// How often DATA_DIR/active is looked at for a new version (one readlink).
constexpr auto kActiveCheck = std::chrono::seconds(2);
// A version that does not load is tried again after this, doubling up to the max.
constexpr auto kRetryFirst = std::chrono::seconds(30);
constexpr auto kRetryMax = std::chrono::minutes(10);
// How often the loop looks whether a new version has been read.
constexpr auto kLoadingPoll = std::chrono::milliseconds(50);
} // namespace

ChannelFollower::ChannelFollower(std::filesystem::path data_dir, std::string public_key)
    : m_data_dir(std::move(data_dir)), m_public_key(std::move(public_key)) {}

// DATA_DIR/active points at channels/<sequence>-<name>/, its media in DATA_DIR/objects.
Result<StoredChannel> ChannelFollower::read(const std::filesystem::path& data_dir,
                                            const std::string& public_key,
                                            const std::string& target) {
    return read_stored_channel(data_dir / target, data_dir / "objects", public_key);
}

std::optional<Channel> ChannelFollower::load_first() {
    const std::string target = active_target(m_data_dir);
    if (target.empty()) {
        log::info("no active channel in " + m_data_dir.string() + "; playing the built-in channel");
        return std::nullopt;
    }
    auto stored = read(m_data_dir, m_public_key, target);
    if (!stored) {
        // Never a black screen: the built-in channel plays instead, and the active
        // channel is read again at the first look.
        log::error("active channel: " + stored.error().message + "; playing the built-in channel");
        return std::nullopt;
    }
    if (!stored->note.empty())
        log::warn(stored->note);
    m_target = m_playing = target;
    return std::move(stored->channel);
}

std::optional<Channel> ChannelFollower::poll(Clock::time_point now) {
    if (m_loading.valid())
        return take_loaded(now);
    if (now < m_next_check)
        return std::nullopt;
    m_next_check = now + kActiveCheck;
    std::string target = active_target(m_data_dir);
    if (target.empty() || target == m_target)
        return std::nullopt;
    if (target == m_failed && now < m_failed_retry_at)
        return std::nullopt;
    m_target = target;
    m_loading = std::async(std::launch::async, [data = m_data_dir, key = m_public_key, target] {
        return read(data, key, target);
    });
    return std::nullopt;
}

std::optional<Channel> ChannelFollower::take_loaded(Clock::time_point now) {
    if (m_loading.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return std::nullopt;
    auto loaded = m_loading.get();
    if (!loaded) {
        // The screen keeps what it plays. The same version is tried again later
        // (sync may repair it in place), less and less often.
        m_failed_wait = std::clamp<Clock::duration>(m_failed_wait * 2, kRetryFirst, kRetryMax);
        m_failed = m_target;
        m_target = m_playing;
        m_failed_retry_at = now + m_failed_wait;
        log::error("active channel: " + loaded.error().message + "; keeping the channel on screen");
        return std::nullopt;
    }
    m_playing = m_target;
    m_failed.clear();
    m_failed_wait = {};
    if (!loaded->note.empty())
        log::warn(loaded->note);
    return std::move(loaded->channel);
}

Clock::time_point ChannelFollower::next_deadline(Clock::time_point now) const {
    if (m_loading.valid())
        return now + kLoadingPoll;
    return std::max(now, m_next_check);
}

} // namespace milepost
