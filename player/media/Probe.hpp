#pragma once
// What a media file holds, found out with libavformat/libavcodec the way the
// player will read it: a file the player could not decode is refused here.
#include "core/Channel.hpp"
#include "core/Result.hpp"

#include <filesystem>

namespace milepost {

// Opens `file`, finds its picture stream and decodes its first frame. `image`:
// a still (PNG, JPEG) rather than a video.
Result<MediaFacts> probe_media(const std::filesystem::path& file, bool image);

} // namespace milepost
