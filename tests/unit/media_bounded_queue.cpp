// The bounded queue between the player's threads: a producer waits while it is
// full, and a batched one (the demuxer's packets) is woken only once a quarter of
// it is free, not for every item taken. Real threads.
#include "media/BoundedQueue.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace milepost;
using namespace std::chrono_literals;

namespace {

// A producer thread that pushes `count` items (from 100 up) into a full queue,
// counting those pushed. Made once it is about to push and has had 50 ms to
// reach its wait.
struct Producer {
    Producer(BoundedQueue<int>& queue, int count)
        : thread([&queue, count, this] {
              started = true;
              for (int i = 0; i < count && queue.push(100 + i); ++i)
                  ++pushed;
          }) {
        while (!started)
            std::this_thread::yield();
        std::this_thread::sleep_for(50ms);
    }
    ~Producer() {
        if (thread.joinable())
            thread.join();
    }
    // Waits up to 5 s for `n` pushed; returns how many were.
    int wait_for(int n) const {
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        while (pushed.load() < n && std::chrono::steady_clock::now() < give_up)
            std::this_thread::sleep_for(1ms);
        return pushed.load();
    }
    std::atomic<bool> started{false};
    std::atomic<int> pushed{0};
    std::thread thread;
};

void fill(BoundedQueue<int>& queue, int n) {
    for (int i = 0; i < n; ++i)
        REQUIRE(queue.push(i));
}

} // namespace

TEST_CASE("a full queue takes the next item as soon as one is taken") {
    BoundedQueue<int> queue(8);
    fill(queue, 8);
    Producer producer(queue, 1);
    CHECK(producer.pushed == 0); // full: it waits
    CHECK(queue.pop() == 0);
    CHECK(producer.wait_for(1) == 1);
    CHECK(queue.size() == 8);
}

TEST_CASE("a batched queue once full is filled again only when a quarter of it is free") {
    BoundedQueue<int> queue(8, BoundedQueue<int>::Refill::Batched);
    fill(queue, 8);
    Producer producer(queue, 4);
    CHECK(producer.pushed == 0); // full: it waits
    CHECK(queue.pop() == 0);
    std::this_thread::sleep_for(100ms);
    CHECK(producer.pushed == 0); // one free of eight: not woken
    CHECK(queue.try_pop() == 1);
    CHECK(producer.wait_for(2) == 2); // a quarter free: filled at one go
    std::this_thread::sleep_for(100ms);
    CHECK(producer.pushed == 2); // full again: it waits for a quarter again
    CHECK(queue.size() == 8);
    for (int expected = 2; expected < 8; ++expected)
        CHECK(queue.pop() == expected); // the order kept
    CHECK(producer.wait_for(4) == 4);
    CHECK(queue.pop() == 100);
}

TEST_CASE("a batched queue that is not full takes items without waiting") {
    BoundedQueue<int> queue(64, BoundedQueue<int>::Refill::Batched);
    fill(queue, 63);
    CHECK(queue.size() == 63);
    // A larger capacity wakes a producer that waits on the smaller one.
    BoundedQueue<int> small(8, BoundedQueue<int>::Refill::Batched);
    fill(small, 8);
    Producer producer(small, 3);
    CHECK(producer.pushed == 0);
    small.set_capacity(64);
    CHECK(producer.wait_for(3) == 3);
    CHECK(small.size() == 11);
}

TEST_CASE("abort wakes a producer waiting on a full batched queue") {
    BoundedQueue<int> queue(8, BoundedQueue<int>::Refill::Batched);
    fill(queue, 8);
    Producer producer(queue, 1);
    queue.abort();
    producer.thread.join();
    CHECK(producer.pushed == 0);
    CHECK_FALSE(queue.push(1));
    CHECK_FALSE(queue.pop().has_value());
}
