#include "ThreadPriority.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace milepost {

namespace {

// The render loop's slice: a tenth of a millisecond, the shortest the kernel grants.
// The shorter a thread's slice, the earlier its deadline when it wakes, and the
// sooner it is run ahead of one that has the core (EEVDF).
constexpr std::uint64_t kRenderSliceNs = 100'000;
// Held while an item's first frame is waited for on the clock (2 ms): longer.
constexpr std::uint64_t kHoldSliceNs = 3'000'000;
constexpr int kGiveWay = 5; // nice steps below the render loop

#ifdef SYS_sched_setattr
// struct sched_attr (linux/sched/types.h, which clashes with glibc's <sched.h>).
struct SchedAttr {
    std::uint32_t size = sizeof(SchedAttr);
    std::uint32_t sched_policy = 0; // SCHED_OTHER
    std::uint64_t sched_flags = 0;
    std::int32_t sched_nice = 0;
    std::uint32_t sched_priority = 0;
    std::uint64_t sched_runtime = 0; // SCHED_OTHER: the slice asked for; 0 the default
    std::uint64_t sched_deadline = 0;
    std::uint64_t sched_period = 0;
};

bool set_attr(int nice, std::uint64_t slice_ns) {
    SchedAttr attr;
    attr.sched_nice = nice;
    attr.sched_runtime = slice_ns;
    return syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
}
#else
bool set_attr(int, std::uint64_t) {
    return false;
}
#endif

// On Linux getpriority() reads one thread: `who` 0, the caller; the process's id,
// its first thread (the render loop's).
int nice_of(id_t who) {
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, who);
    return errno == 0 ? nice : 0;
}

} // namespace

void prefer_prompt_wakeups() {
    set_attr(nice_of(0), kRenderSliceNs);
}

void hold_the_core() {
    set_attr(nice_of(0), kHoldSliceNs);
}

void give_way_to_render(const char* name) {
    pthread_setname_np(pthread_self(), name);
    const int nice = std::min(nice_of(static_cast<id_t>(getpid())) + kGiveWay, 19);
    if (!set_attr(nice, 0)) // no sched_setattr: the nice value alone
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
}

} // namespace milepost
