#include "VideoPresenter.hpp"

#include "core/Log.hpp"
#include "core/ThreadPriority.hpp"

#include <algorithm>
#include <cmath>
#include <thread>
#include <utility>

namespace milepost {

namespace {
// A video that makes no picture for this long is abandoned and the next item shown.
constexpr auto kStallLimit = std::chrono::milliseconds(750);
// How often the loop looks again while a video's next frame is still being decoded.
constexpr auto kDecoderPoll = std::chrono::milliseconds(4);
// How much later than planned a video may end: its clock started late or its sound
// ran late. Under the second within which the next boundary is still on time.
constexpr auto kLateAllowance = std::chrono::milliseconds(900);
// Composing ahead (lead()): what composing a frame is taken to cost until measured;
// how fast a slow one is forgotten (2 ms in 7 s at 30 fps); the margin for the
// loop's wake-up (a window's wait wakes to the millisecond), and the most.
constexpr auto kFirstComposing = std::chrono::milliseconds(2);
constexpr auto kComposingForget = std::chrono::microseconds(10);
constexpr auto kLeadMargin = std::chrono::milliseconds(1);
constexpr auto kMostLead = std::chrono::milliseconds(10);
// An item's first frame: how long before it is due its wait stops sleeping. Longer
// than most late wake-ups (a sleep that ended 0.5-1 ms late made the frame late when
// this was 0.5 ms), shorter than the slice held meanwhile (hold_the_core).
constexpr auto kFirstFrameSpin = std::chrono::microseconds(2000);

} // namespace

VideoPresenter::VideoPresenter(Output& output, AudioOutput* audio)
    : m_output(output), m_audio(audio), m_composing(kFirstComposing) {}

void VideoPresenter::start(Clock::time_point now, Clock::time_point planned, double offset,
                           std::optional<Clock::duration> whole_length, Clock::time_point& end,
                           bool wait_for_first) {
    if (whole_length)
        end = planned + *whole_length;
    m_clock_start = planned - clock_seconds(offset); // joined part way, pts starts about there
    m_planned_clock_start = m_clock_start;
    m_plays_whole = whole_length.has_value();
    m_whole_length = whole_length.value_or(Clock::duration::zero());
    m_failed = false;
    m_wait_for_first = wait_for_first;
    m_offset = offset;
    m_late_allowance = kLateAllowance;
    m_sound_moved_end = Clock::duration::zero();
    m_has_frame = false;
    m_first_taken = false;
    m_frame_pending = false;
    m_wait_since = now;
    m_frames_presented = m_frames_dropped = 0;
    // The screen keeps the last picture until this video's first frame is due.
}

VideoPresenter::Step VideoPresenter::pump(Clock::time_point now, VideoSource& source,
                                          const Item& item, Clock::time_point& end) {
    if (std::string notes = source.take_notes();
        !notes.empty() && m_logged_notes.insert(notes).second)
        log::warn("item \"" + item.id + "\": " + notes);
    follow_sound(now, source, end);
    hold_end_for_last_frames(now, source, item, end);
    if (!m_has_frame && m_wait_for_first)
        hold_clock_for_first_frame(now, source, end);
    if (take_due_frame(now, source, item)) {
        if (!m_why.empty())
            return fail(m_why);
        if (!m_first_taken) {
            m_first_taken = true;
            return Step::FirstFrame;
        }
        return Step::Frame;
    }
    return watch_wait(now, source, item, end);
}

VideoPresenter::Step VideoPresenter::fail(std::string why, Step step) {
    m_why = std::move(why);
    m_failed = true;
    return step;
}

void VideoPresenter::finish(Clock::time_point boundary, VideoSource& source) {
    if (m_failed || !m_has_frame || m_frame_duration <= 0 ||
        source.state() == VideoSource::State::Failed)
        return;
    long missed = 0;
    Clock::time_point made_until = m_last_frame_end; // the end of the last frame decoded
    source.frames().for_each([&](const VideoFrame& f) {
        const auto due = m_clock_start + clock_seconds(f.pts);
        made_until = std::max(made_until, due + clock_seconds(f.duration));
        missed += due < boundary ? 1 : 0;
    });
    if (source.state() != VideoSource::State::Ended) {
        auto until = boundary;
        if (m_plays_whole)
            until = std::min(until, m_clock_start + m_whole_length);
        // A frame due in the last twentieth of a period before the end is not counted:
        // the file's length and its frames' times are rounded differently.
        const double periods =
            std::chrono::duration<double>(until - made_until).count() / m_frame_duration;
        if (periods > 0)
            missed += static_cast<long>(std::ceil(periods - 0.05));
    }
    m_frames_dropped += missed;
}

// While sound plays, the video follows the sound's clock: the clock's start moves
// so that a frame's pts is due when the sound at that pts is heard. When the sound
// runs late (the device's buffer, a loaded CPU), the end moves with it, within the
// late allowance, so that its last frames are still shown.
void VideoPresenter::follow_sound(Clock::time_point now, VideoSource& source,
                                  Clock::time_point& end) {
    if (!m_audio)
        return;
    BoundedQueue<AudioChunk>* sound = source.audio();
    if (!sound)
        return;
    m_audio->feed(*sound);
    auto heard = m_audio->clock();
    if (!heard)
        return;
    const auto follow = now - clock_seconds(*heard);
    if (std::chrono::abs(follow - m_clock_start) <= std::chrono::milliseconds(10))
        return;
    // Net of the sound's jitter: what it moved later and then earlier is given back.
    const auto shift = std::clamp<Clock::duration>(follow - m_clock_start, -m_sound_moved_end,
                                                   std::max(m_late_allowance, Clock::duration{}));
    m_clock_start = follow;
    end += shift;
    m_late_allowance -= shift;
    m_sound_moved_end += shift;
}

// A video that plays once from its start ends with its last frame. When its
// decoder runs late (a loaded machine) and the file has not ended by the plan's
// end, the end moves on, within the late allowance, rather than lose its last
// frames: none is ever neither shown nor counted as dropped.
void VideoPresenter::hold_end_for_last_frames(Clock::time_point now, VideoSource& source,
                                              const Item& item, Clock::time_point& end) {
    const VideoSource::State state = source.state();
    if (!m_plays_whole || item.duration || state == VideoSource::State::Ended ||
        state == VideoSource::State::Failed || now + kDecoderPoll + first_frame_lead() < end)
        return; // the end moves before its boundary would be taken (Playback::boundary_due)
    move_end(end, kDecoderPoll);
}

// Moves `end` later by `by`, as far as the late allowance left goes.
void VideoPresenter::move_end(Clock::time_point& end, Clock::duration by) {
    const auto add = std::min(by, m_late_allowance);
    if (add > Clock::duration::zero()) {
        end += add;
        m_late_allowance -= add;
    }
}

// The first video after start-up: its clock starts with its first frame, so a slow
// open drops nothing: while the first frame is being decoded, and when it comes
// more than a frame late (its decoder's first frames came together, the loop was
// busy), the clock moves so that it is due now; never before its planned time (a
// video started a moment before its entry waits for it). Joined part way, its first
// frame's pts is about the offset. The end moves with the clock, within the late allowance.
void VideoPresenter::hold_clock_for_first_frame(Clock::time_point now, VideoSource& source,
                                                Clock::time_point& end) {
    Clock::time_point start = now - clock_seconds(m_offset);
    source.frames().with_front([&](VideoFrame* f) {
        if (f)
            start = m_clock_start + clock_seconds(f->pts + f->duration) <= now
                        ? now - clock_seconds(f->pts)
                        : m_clock_start;
        return true;
    });
    start = std::max(start, m_planned_clock_start); // never before its time
    const auto waited = start - m_clock_start;
    m_clock_start = start;
    move_end(end, waited);
}

// Take every frame that is due; all but the last are late and dropped, so lag
// never builds up: times are absolute, from the clock's start. Returns whether one
// was taken (m_why is set when its upload failed).
bool VideoPresenter::take_due_frame(Clock::time_point now, VideoSource& source, const Item& item) {
    m_why.clear();
    std::optional<VideoFrame> chosen;
    const Clock::time_point horizon = now + taking_lead(); // composed ahead, shown on time
    while (source.frames().with_front(
        [&](VideoFrame* f) { return f && m_clock_start + clock_seconds(f->pts) <= horizon; })) {
        if (chosen)
            ++m_frames_dropped;
        if (!m_has_frame) { // decoding waits until it is up (Playback::presented)
            chosen = source.take_first_frame();
            m_frames_dropped += source.joined_late(); // decoded after their time: not shown
            break; // a first frame is shown however late; those due after it, dropped
        }
        chosen = source.frames().try_pop();
    }
    if (!chosen)
        return false;
    const AVFrame* f = chosen->frame.get();
    const Size canvas = m_output.canvas_size();
    if (!m_has_frame) {
        m_info = source.info(); // complete once a frame exists
        // The last item's frame is let go once this one is up (presented()).
        m_retired = m_texture.release_kept();
    }
    // The software renderer's shortcut: the frame converted (and scaled) straight
    // onto the screen, where the renderer would draw it.
    SDL_Surface* screen = m_output.direct_surface();
    const bool direct =
        screen && m_info.rotation == 0 &&
        m_texture.keep_for_direct(f, screen->format->format,
                                  fit_picture(display_size(f->width, f->height), 0,
                                              Rect{0, 0, canvas.width, canvas.height}));
    if (auto r = direct ? Result<void>{} : m_texture.upload(m_output.renderer(), f); !r) {
        m_why = r.error().message;
        return true;
    }
    if (!m_has_frame) // logged once the frame is up (presented()): not in its way
        m_first_frame_note =
            "item \"" + item.id + "\": " + m_info.decoder + ", " + std::to_string(m_info.width) +
            "x" + std::to_string(m_info.height) + ", " + m_texture.path() +
            (m_info.rotation ? ", turned " + std::to_string(m_info.rotation) : "") +
            (m_info.audio.empty() ? "" : ", sound " + m_info.audio);
    m_has_frame = true;
    m_frame_pts = chosen->pts;
    m_frame_in_file = chosen->in_file;
    m_frame_duration = chosen->duration;
    m_last_frame_end = m_clock_start + clock_seconds(chosen->pts + chosen->duration);
    m_frame_pending = true;
    m_taken_at = now;
    return true;
}

// No frame is due: the clock waits for a slow open, and the item ends with its
// video, or when it fails or stalls.
VideoPresenter::Step VideoPresenter::watch_wait(Clock::time_point now, VideoSource& source,
                                                const Item& item, Clock::time_point& end) {
    if (source.frames().size() > 0)
        return Step::Waiting; // the next frame is not due yet
    // Until the first frame, the last picture stays on screen.
    switch (source.state()) {
    case VideoSource::State::Ended:
        if (!m_has_frame)
            return fail(item.file.string() + ": no picture in the file");
        // Gapless: the next item starts as the last frame's time runs out.
        end = std::min(end, m_last_frame_end);
        return Step::Waiting;
    case VideoSource::State::Failed:
        return fail(source.error());
    default:
        // From the last frame taken too: a first frame due a while after the file
        // opened (its time not come yet) is no stall of the decoding after it.
        if (now - std::max({m_wait_since, m_taken_at, source.last_progress()}) > kStallLimit)
            return fail(item.file.string() +
                            ": no picture for 0.75 s: the file or its decoder stalled",
                        Step::Stalled);
        return Step::Waiting;
    }
}

void VideoPresenter::draw(Painter& painter, SDL_Renderer* renderer, Size canvas,
                          std::optional<Rect> only) {
    const Rect whole{0, 0, canvas.width, canvas.height};
    if (direct()) {
        if (!(m_texture.landed() == whole))
            painter.fill_around(whole, m_texture.landed(), palette::kLetterbox);
        // Everything queued so far reaches the pixels before the frame goes on them.
        SDL_RenderFlush(renderer);
        const Rect rows = only ? *only : whole;
        if (auto drawn = m_texture.draw_direct(m_output.direct_surface(), rows.y, rows.y + rows.h);
            !drawn)
            log::error(drawn.error().message);
    } else if (m_has_frame) {
        const Size display = display_size(m_texture.width(), m_texture.height());
        // The video fills the screen, black bars where its shape differs; the
        // hotline banner goes on top of it.
        Rect landed = painter.picture_fit(m_texture.texture(), display, m_info.rotation, whole);
        painter.fill_around(whole, landed, palette::kLetterbox);
    } else {
        painter.fill(whole, palette::kLetterbox);
    }
}

// A frame's size on screen: its pixels may not be square.
Size VideoPresenter::display_size(int width, int height) const {
    if (m_info.sample_aspect.num <= 0 || m_info.sample_aspect.den <= 0)
        return {width, height};
    return {width * m_info.sample_aspect.num / m_info.sample_aspect.den, height};
}

Clock::duration VideoPresenter::lead() const {
    return std::min<Clock::duration>(m_composing + kLeadMargin, kMostLead);
}

void VideoPresenter::show_on_time(Clock::time_point composed) {
    if (!m_frame_pending)
        return;
    const Clock::time_point due = m_clock_start + clock_seconds(m_frame_pts);
    if (m_frames_presented > 0) { // an item's first frame has a lead of its own
        m_composing = std::max(composed - m_taken_at, m_composing - kComposingForget);
        std::this_thread::sleep_until(due);
        return;
    }
    // The join between two items, to the microsecond: a sleep ends some tenths of a
    // millisecond late (the timer's slack, the scheduler), which other frames bear
    // (their times are absolute, so it never adds up), but which would make the
    // last frame of one item and the first of the next more than a period apart.
    // The last stretch is waited out on the clock, once an item, holding the core
    // (a long slice until presented()): with the render loop's short slice, the
    // kernel handed the core to another thread part way through, and with a yield
    // in the loop so did the loop itself; either made the frame 0.2-5 ms late.
    std::this_thread::sleep_until(due - kFirstFrameSpin);
    if (Clock::now() >= due)
        return; // late already (a busy start-up): nothing to wait out, nothing to hold
    hold_the_core();
    m_holding_core = true;
    while (Clock::now() < due) {
    }
}

std::optional<double> VideoPresenter::presented() {
    if (!m_frame_pending)
        return std::nullopt;
    m_frame_pending = false;
    if (std::exchange(m_holding_core, false))
        prefer_prompt_wakeups(); // held since show_on_time()'s wait: the short slice again
    if (!m_first_frame_note.empty())
        log::info(std::exchange(m_first_frame_note, {}));
    ++m_frames_presented;
    return m_frame_pts;
}

bool VideoPresenter::first_frame_shown(Clock::time_point shown, Clock::time_point& end) {
    if (!m_wait_for_first || m_frames_presented == 0)
        return false;
    m_wait_for_first = false; // the clock is settled
    const auto late = shown - (m_clock_start + clock_seconds(m_frame_pts));
    if (late > Clock::duration::zero()) {
        m_clock_start += late;
        move_end(end, late);
    }
    return true;
}

Clock::time_point VideoPresenter::next_deadline(Clock::time_point now, VideoSource& source) const {
    return source.frames().with_front([&](VideoFrame* f) {
        return f ? m_clock_start + clock_seconds(f->pts) - taking_lead() : now + kDecoderPoll;
    });
}

} // namespace milepost
