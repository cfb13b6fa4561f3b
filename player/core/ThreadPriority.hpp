#pragma once

// How the player's threads share the cores with the render loop, which must wake
// for each frame on time while a decoder keeps a core busy. Linux only; where the
// kernel (or a seccomp filter) refuses, nothing changes and the player plays as
// before.
namespace milepost {

// The calling thread (the render loop) asks for a short time slice: woken for a
// frame, it takes the core at once rather than after a decoder's slice (Linux 6.12
// and later; earlier kernels keep their own). Threads it starts afterwards inherit
// it until they call give_way_to_render().
void prefer_prompt_wakeups();

// The render loop, about to wait out an item's first frame on the clock: a long
// slice (3 ms), so that the kernel lets it run to the frame's time rather than give
// its core to another thread once the short slice is spent (a thread that wakes
// with a shorter slice still comes first). prefer_prompt_wakeups() gives the short
// slice back. Linux 6.12 and later, as prefer_prompt_wakeups().
void hold_the_core();

// The calling thread (decoding, loading, tearing down, writing the play log) gives
// way to the render loop: nice 5 above the render loop's (the process's first
// thread), and the kernel's default time slice. It is named `name` (at most 15 characters), as `top
// -H` and /proc/PID/task/TID/comm show it.
void give_way_to_render(const char* name);

} // namespace milepost
