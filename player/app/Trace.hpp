#pragma once
// --trace: one JSON object per line, flushed as it goes (contract "--trace").
#include "core/Result.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace milepost {

class Trace {
public:
    Trace() = default; // writes nothing
    static Result<Trace> open(const std::string& path);

    // `t`: monotonic seconds since start.
    void event(double t, std::string_view event, std::string_view item,
               std::optional<double> pts = std::nullopt, std::string_view detail = {});

private:
    struct Closer {
        void operator()(std::FILE* f) const { std::fclose(f); }
    };
    std::unique_ptr<std::FILE, Closer> m_file;
};

} // namespace milepost
