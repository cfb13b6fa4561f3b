#pragma once
// systemd's side of sd_notify for tests: a datagram socket whose messages are
// collected with the time each arrived.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace milepost::test {

class NotifySocket {
public:
    using Clock = std::chrono::steady_clock;
    struct Message {
        Clock::time_point at;
        std::string text;
    };

    explicit NotifySocket(const std::filesystem::path& path) : m_path(path) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        m_thread = std::thread([this] {
            char buf[4096];
            while (!m_stop) {
                pollfd p{m_fd, POLLIN, 0};
                if (::poll(&p, 1, 20) <= 0)
                    continue;
                const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
                if (n > 0) {
                    std::lock_guard lock(m_mutex);
                    m_messages.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
                }
            }
        });
    }
    ~NotifySocket() {
        m_stop = true;
        m_thread.join();
        ::close(m_fd);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    std::vector<Message> timed() const {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::lock_guard lock(m_mutex);
        return m_messages;
    }
    std::vector<std::string> messages() const {
        std::vector<std::string> out;
        for (const Message& m : timed())
            out.push_back(m.text);
        return out;
    }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
    int m_fd = -1;
    std::atomic<bool> m_stop{false};
    mutable std::mutex m_mutex; // guards m_messages
    std::vector<Message> m_messages;
    std::thread m_thread;
};

} // namespace milepost::test
