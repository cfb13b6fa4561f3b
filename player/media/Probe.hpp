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

// A video's length in seconds as its file states it (it must state one, of a day
// at most), without decoding a picture: for a channel source's items, whose
// lengths the plan needs before the first frame. What the screen cannot play is
// found when it plays it.
Result<double> probe_video_length(const std::filesystem::path& file);

} // namespace milepost
