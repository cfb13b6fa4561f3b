#pragma once
// A queue with a fixed capacity shared by one producer and one consumer thread.
// push() waits while it is full; pop() waits while it is empty; abort() wakes
// both for good. Every field is guarded by m_mutex.
// Batched (a queue of packets read ahead), a producer that found it full waits
// until a quarter of it is free, and then fills it again at one go: not woken for
// every item taken (the demuxer was woken about 50 times a second at 1080p30).
#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace milepost {

template <typename T> class BoundedQueue {
public:
    enum class Refill { EachItem, Batched };
    explicit BoundedQueue(size_t capacity, Refill refill = Refill::EachItem)
        : m_capacity(capacity), m_batched(refill == Refill::Batched) {}

    // false when aborted (the item is dropped).
    bool push(T item) {
        std::unique_lock lock(m_mutex);
        wait_for_room(lock);
        if (m_aborted)
            return false;
        m_items.push_back(std::move(item));
        m_not_empty.notify_one();
        return true;
    }

    // Waits until a push() would not wait; false when aborted. For a producer that
    // should not make an item before there is room for it.
    bool wait_for_room() {
        std::unique_lock lock(m_mutex);
        wait_for_room(lock);
        return !m_aborted;
    }

    // nullopt when aborted.
    std::optional<T> pop() {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait(lock, [&] { return m_aborted || !m_items.empty(); });
        if (m_aborted)
            return std::nullopt;
        return take_front();
    }

    // Does not wait: the consumer's view for a render loop that must not block.
    template <typename F> auto with_front(F&& f) -> decltype(f(static_cast<T*>(nullptr))) {
        std::lock_guard lock(m_mutex);
        return f(m_items.empty() ? nullptr : &m_items.front());
    }
    // The item after the front, or nullptr. Does not wait.
    template <typename F> auto with_second(F&& f) -> decltype(f(static_cast<T*>(nullptr))) {
        std::lock_guard lock(m_mutex);
        return f(m_items.size() < 2 ? nullptr : &m_items[1]);
    }
    // Calls `f` on each item, front first, under the lock. Does not wait.
    template <typename F> void for_each(F&& f) const {
        std::lock_guard lock(m_mutex);
        for (const T& item : m_items)
            f(item);
    }
    std::optional<T> try_pop() {
        std::lock_guard lock(m_mutex);
        if (m_items.empty())
            return std::nullopt;
        return take_front();
    }
    size_t size() const {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }

    // A smaller capacity keeps what is in the queue but lets no more in until it
    // drains below it; a larger one wakes the producer.
    void set_capacity(size_t capacity) {
        std::lock_guard lock(m_mutex);
        m_capacity = capacity;
        m_not_full.notify_all();
    }

    void abort() {
        std::lock_guard lock(m_mutex);
        m_aborted = true;
        m_not_full.notify_all();
        m_not_empty.notify_all();
    }

private:
    // Room for one item; batched, for a quarter of the queue once it was full.
    bool has_room_to_refill() const {
        const size_t room = m_batched ? std::max<size_t>(1, m_capacity / 4) : 1;
        return m_items.size() + room <= m_capacity;
    }
    // The front item, under the lock; the producer woken when it may refill.
    T take_front() {
        T item = std::move(m_items.front());
        m_items.pop_front();
        if (has_room_to_refill())
            m_not_full.notify_one();
        return item;
    }
    void wait_for_room(std::unique_lock<std::mutex>& lock) {
        if (m_items.size() >= m_capacity)
            m_not_full.wait(lock, [&] { return m_aborted || has_room_to_refill(); });
    }

    mutable std::mutex m_mutex;
    std::condition_variable m_not_full;
    std::condition_variable m_not_empty;
    std::deque<T> m_items; // guarded by m_mutex
    size_t m_capacity;     // guarded by m_mutex
    const bool m_batched;
    bool m_aborted = false; // guarded by m_mutex
};

} // namespace milepost
