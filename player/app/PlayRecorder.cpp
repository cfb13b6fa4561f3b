#include "PlayRecorder.hpp"

#include "core/Log.hpp"

#include <cstdio>

namespace milepost {

namespace {
// Items last seconds; this many events queued means the disk has stalled.
constexpr std::size_t kMaxQueued = 1000;
// A checkpoint (one fsync) this often bounds what a power cut can take.
constexpr auto kCheckpointEvery = std::chrono::minutes(5);
} // namespace

Result<std::unique_ptr<PlayRecorder>> PlayRecorder::open(const std::filesystem::path& file) {
    auto log = PlayLog::open(file);
    if (!log)
        return log.error();
    auto closed = log->close_interrupted("the player stopped while it was on screen "
                                         "(power cut or crash)");
    if (!closed)
        return closed.error();
    if (*closed > 0)
        log::warn(file.string() + ": " + std::to_string(*closed) +
                  " play(s) left open by the last run recorded as interrupted");
    return std::unique_ptr<PlayRecorder>(new PlayRecorder(std::move(*log)));
}

PlayRecorder::PlayRecorder(PlayLog log) : m_log(std::move(log)) {
    m_thread = std::thread([this] { run(); });
}

PlayRecorder::~PlayRecorder() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_one();
    m_thread.join();
}

std::uint64_t PlayRecorder::started(PlayStart start) {
    const std::uint64_t token = m_next_token++;
    {
        std::lock_guard lock(m_mutex);
        if (m_events.size() >= kMaxQueued) {
            ++m_dropped;
            return token;
        }
        m_events.push_back(Start{token, std::move(start)});
    }
    m_wake.notify_one();
    return token;
}

void PlayRecorder::ended(std::uint64_t token, PlayEnd end) {
    {
        std::lock_guard lock(m_mutex);
        if (m_events.size() >= kMaxQueued) {
            ++m_dropped;
            return;
        }
        m_events.push_back(End{token, std::move(end)});
    }
    m_wake.notify_one();
}

void PlayRecorder::publish(std::filesystem::path file, std::string text) {
    {
        std::lock_guard lock(m_mutex);
        if (m_events.size() >= kMaxQueued)
            return; // news, not a record: the next one will do
        m_events.push_back(Publish{std::move(file), std::move(text)});
    }
    m_wake.notify_one();
}

std::uint64_t PlayRecorder::dropped() {
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

void PlayRecorder::run() {
    auto last_checkpoint = std::chrono::steady_clock::now();
    auto last_drop_log = last_checkpoint - std::chrono::hours(1);
    std::uint64_t dropped_logged = 0;
    while (true) {
        std::deque<Event> batch;
        bool stop = false;
        std::uint64_t dropped = 0;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, kCheckpointEvery, [&] { return m_stop || !m_events.empty(); });
            batch.swap(m_events);
            stop = m_stop;
            dropped = m_dropped;
        }
        if (dropped > dropped_logged &&
            std::chrono::steady_clock::now() - last_drop_log >= std::chrono::minutes(1)) {
            last_drop_log = std::chrono::steady_clock::now();
            log::error("play log: " + std::to_string(dropped - dropped_logged) +
                       " event(s) not recorded: the disk is not keeping up");
            dropped_logged = dropped;
        }
        // Everything queued meanwhile in one transaction: usually one item's end
        // and the next one's start.
        if (!batch.empty()) {
            if (auto begun = m_log.begin(); !begun) {
                log::error("play log: " + begun.error().message);
            } else {
                for (auto& event : batch) {
                    if (auto* s = std::get_if<Start>(&event)) {
                        auto id = m_log.insert_start(s->start);
                        if (id)
                            m_rows[s->token] = *id;
                        else
                            log::error("play log: " + id.error().message);
                    } else if (auto* p = std::get_if<Publish>(&event)) {
                        const std::string tmp = p->file.string() + ".tmp";
                        if (FILE* f = std::fopen(tmp.c_str(), "w")) {
                            const bool ok =
                                std::fwrite(p->text.data(), 1, p->text.size(), f) == p->text.size();
                            if (std::fclose(f) == 0 && ok)
                                std::rename(tmp.c_str(), p->file.c_str());
                        }
                    } else {
                        auto& e = std::get<End>(event);
                        auto it = m_rows.find(e.token);
                        if (it == m_rows.end())
                            continue;
                        if (auto r = m_log.finish(it->second, e.end); !r)
                            log::error("play log: " + r.error().message);
                        m_rows.erase(it);
                    }
                }
                if (auto r = m_log.commit(); !r)
                    log::error("play log: " + r.error().message);
            }
        }
        const auto now = std::chrono::steady_clock::now();
        if (stop || now - last_checkpoint >= kCheckpointEvery) {
            last_checkpoint = now;
            if (auto r = m_log.checkpoint(); !r)
                log::warn("play log: " + r.error().message);
        }
        if (stop)
            return;
    }
}

} // namespace milepost
