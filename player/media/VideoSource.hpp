#pragma once
// One video file being read and decoded ahead of the screen: a demux thread
// fills a bounded packet queue, a decode thread turns packets into frames in a
// bounded frame queue, and the render loop takes frames by their time. The
// pipeline of ffplay, behind a small wrapper (STYLE.md).
#include "BoundedQueue.hpp"
#include "Ffmpeg.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace milepost {

struct VideoFrame {
    FramePtr frame;      // in system memory (hardware frames are downloaded)
    double pts = 0;      // seconds after the item's first frame, continuous across loops
    double duration = 0; // seconds it stays up
    double in_file = 0;  // seconds from the file's start, each pass again: the captions' clock
};

// Sound decoded and resampled for the speakers: 16-bit stereo at kAudioRate.
struct AudioChunk {
    std::vector<unsigned char> pcm;
    double pts = 0;      // seconds on the same clock as the video frames' pts
    double duration = 0; // seconds
};
inline constexpr int kAudioRate = 48000;
inline constexpr int kAudioBytesPerSecond = kAudioRate * 2 * 2;

struct VideoInfo {
    int width = 0, height = 0;
    AVRational sample_aspect{1, 1};
    int rotation = 0;    // degrees clockwise that turn the picture upright
    double duration = 0; // seconds; 0 when the file does not say
    std::string codec;   // "h264"
    std::string decoder; // "h264 (software)", "h264_v4l2m2m", "h264 (vaapi)"
    std::string audio;   // "aac", or "" when no sound is played
};

// How a video is read: VideoSource::start's settings.
struct VideoStart {
    // Hardware decoding: "auto", "none" or an FFmpeg device name ("vaapi", "drm",
    // "v4l2m2m").
    std::string hwdec = "none";
    // Start again at the end, for an item whose duration is longer than its video.
    bool loop = false;
    // Decode the sound too (a file without sound plays the same).
    bool audio = false;
    // Seconds into the file to begin at (an item joined part way); frames then carry
    // pts from the file's start, so the first one's pts is about `start_at`.
    double start_at = 0;
    // Joined part way: when the picture at `start_at` is due on screen. Decoding from
    // the key frame before it takes a while (a tenth of a second at 1080p), so a
    // frame decoded too late for its time is not shown either (VideoSource::joined_late()
    // counts them), for up to kJoinCatchUp of the file: the first one shown is on
    // time, in step with the other screens, not shown late with the next ones dropped.
    std::optional<std::chrono::steady_clock::time_point> due;
    static constexpr double kJoinCatchUp = 1.0;
};

class VideoPipeline; // the threads' side, shared with them (VideoSource.cpp)

class VideoSource {
public:
    using Clock = std::chrono::steady_clock;
    enum class State { Opening, Playing, Ended, Failed };

    // Starts reading `path` at once, on its own threads, as `how` says.
    static std::unique_ptr<VideoSource> start(std::filesystem::path path, VideoStart how);
    // Stops the threads and waits up to two seconds for them; a thread stuck in a
    // system call past that (a stalled file) is left to end on its own. What it
    // touches is shared with it, so nothing it uses is freed under it.
    ~VideoSource();
    VideoSource(const VideoSource&) = delete;
    VideoSource& operator=(const VideoSource&) = delete;

    // Called from the render thread.
    // While an item waits its turn it decodes only its first frame: a Raspberry Pi's
    // memory holds two decoders, not two full queues. Once that frame is taken
    // (take_first_frame), nothing more is decoded until decode_ahead_task() runs: it is taken
    // ahead of its time, while the last item's decoder and frame are still held
    // (they go once it is up), and a second picture decoded meanwhile would hold
    // both decoders' pictures at once.
    std::optional<VideoFrame> take_first_frame();
    // A task for once the first frame is on screen: decode ahead of it
    // (kQueuedFrames), and read ahead of that (a video waiting its turn reads only a
    // few packets). It may run on another thread, after this handle is gone: it
    // holds the threads' side, not the handle.
    std::function<void()> decode_ahead_task();
    // Stops the threads and waits up to `limit` for them to end, their decoder's
    // pictures freed; the destructor still waits for the rest.
    void stop(std::chrono::milliseconds limit);
    State state() const;
    std::string error() const;
    VideoInfo info() const; // complete once state() is past Opening
    BoundedQueue<VideoFrame>& frames();
    // The sound, or nullptr when the file has none (or it was not asked for). Known
    // once state() is past Opening.
    BoundedQueue<AudioChunk>* audio();
    Clock::time_point last_progress() const;
    // Frames of a join decoded too late for their time, before the first (VideoStart::due).
    long joined_late() const;
    // Notes for the log (hardware decoding fell back, the stream ended early).
    std::string take_notes();

private:
    explicit VideoSource(std::shared_ptr<VideoPipeline> pipeline);
    std::shared_ptr<VideoPipeline> m_pipeline;
    std::thread m_thread; // the demux thread, which owns the decode thread
};

} // namespace milepost
