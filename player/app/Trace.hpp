#pragma once
// --trace: one JSON object per line, flushed as it goes (contract "--trace").
#include "core/Result.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace milepost {

class Trace {
public:
    Trace() = default; // writes nothing
    // `started`: the monotonic clock's time at the player's start (`t` = 0).
    static Result<Trace> open(const std::string& path,
                              std::chrono::steady_clock::time_point started);

    // `t`: monotonic seconds since start. Its "wall" is the wall clock at `t`, not
    // when the line is written.
    void event(double t, std::string_view event, std::string_view item,
               std::optional<double> pts = std::nullopt, std::string_view detail = {});

private:
    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, Closer> m_file;
    std::chrono::steady_clock::time_point m_started;
};

} // namespace milepost
