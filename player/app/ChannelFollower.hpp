#pragma once
// Following DATA_DIR/active, one part of the player's loop: which channel version
// plays. milepost-sync activates a version by one atomic rename of `active`; the
// follower looks every 2 s (one readlink), reads the new version on a thread (a
// big manifest must not hold up a frame) and hands it over once read and its
// signature checked. A version that does not load is tried again, less and less
// often (30 s doubling to 10 min: sync may repair it in place); the screen keeps
// what it plays. Start-up reads the first version the same way, waiting for it.
#include "LoopClock.hpp"
#include "core/Channel.hpp"
#include "core/Result.hpp"
#include "store/ContentStore.hpp"

#include <filesystem>
#include <future>
#include <optional>
#include <string>

namespace milepost {

class ChannelFollower {
public:
    ChannelFollower(std::filesystem::path data_dir, std::string public_key);

    // At start-up: the active version, read now, or nullopt when there is none or
    // it does not load (logged; it is tried again at the first look).
    std::optional<Channel> load_first();
    // Each turn of the loop: a newer version, once it has been read.
    std::optional<Channel> poll(Clock::time_point now);
    // Whether what plays came from the data dir (not the built-in channel).
    bool playing_from_data_dir() const { return !m_playing.empty(); }
    Clock::time_point next_deadline(Clock::time_point now) const;

private:
    static Result<StoredChannel> read(const std::filesystem::path& data_dir,
                                      const std::string& public_key, const std::string& target);
    std::optional<Channel> take_loaded(Clock::time_point now);

    std::filesystem::path m_data_dir;
    std::string m_public_key;
    std::string m_target;  // the version playing, or being read
    std::string m_playing; // the version playing ("" = not from the data dir)
    std::string m_failed;  // a version that did not load: tried again after a while
    Clock::duration m_failed_wait{};
    Clock::time_point m_failed_retry_at;
    Clock::time_point m_next_check;
    std::future<Result<StoredChannel>> m_loading;
};

} // namespace milepost
