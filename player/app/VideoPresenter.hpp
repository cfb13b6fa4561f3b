#pragma once
// A video item's frames on their way to the screen, one part of the player's loop,
// in ffplay's shape: queue -> clock -> present. The decoder's queue holds frames
// with their times (pts); the clock says when pts 0 is due (it starts with the
// first frame, and follows the sound's clock while sound plays); the due frame is
// uploaded to the texture (YUV kept), the late ones dropped; the App composes the
// screen and presents it when due (show_on_time).
#include "LoopClock.hpp"
#include "Trace.hpp"
#include "core/Channel.hpp"
#include "media/VideoSource.hpp"
#include "output/AudioOutput.hpp"
#include "render/Output.hpp"
#include "render/Painter.hpp"
#include "render/VideoTexture.hpp"

#include <optional>
#include <set>
#include <string>

namespace milepost {

class VideoPresenter {
public:
    // `audio`: the speakers, or nullptr for silence.
    VideoPresenter(Output& output, AudioOutput* audio);

    // A video goes on screen at `now`, joined `offset` seconds into its file, where
    // the plan has it start at `planned` (now, or a moment before: a late boundary);
    // `end` is when the plan ends it. Its frames are due at the plan's times, so that
    // screens with the same plan show the same frame at the same moment: a first
    // frame that comes late is shown all the same, and the frames due meanwhile are
    // dropped to catch up. Given its `whole_length`, it ends that long after
    // `planned`. With `wait_for_first` (the first thing shown after start-up, on
    // --clock-start's clock) its clock waits for its first frame instead, and its end
    // moves with it, up to 0.9 s (held() says how much); so does it for sound that
    // is heard late.
    void start(Clock::time_point now, Clock::time_point planned, double offset,
               std::optional<Clock::duration> whole_length, Clock::time_point& end,
               bool wait_for_first);
    // How much later than planned its clock started (wait_for_first).
    Clock::duration held() const { return m_clock_start - m_planned_clock_start; }

    enum class Step {
        Waiting,    // no frame due yet
        Frame,      // a frame was uploaded: draw the screen again
        FirstFrame, // the same, and it is the item's first
        Failed,     // the item failed: why()
        Stalled,    // no picture for 0.75 s (a slow SD card, a file that never ends): why()
    };
    // One turn of the loop: takes the due frame, or watches the wait; `end` moves
    // with the clock, and to the last frame's end when the video ends (gapless).
    Step pump(Clock::time_point now, VideoSource& source, const Item& item, Clock::time_point& end);
    const std::string& why() const { return m_why; }

    // Draws the frame over the whole canvas, black bars where its shape differs
    // (black until the first frame). `only`: a frame drawn straight onto the
    // screen (direct()) need be drawn there only, the rest being covered.
    void draw(Painter& painter, SDL_Renderer* renderer, Size canvas,
              std::optional<Rect> only = std::nullopt);
    // The frame goes straight onto the screen (SDL's software renderer, a frame
    // not turned), scaled on the way if need be.
    bool direct() const { return m_has_frame && m_texture.direct(); }
    // ... and not scaled: its rows can be drawn alone, and the screen keeps what is
    // drawn outside `only`.
    bool direct_in_rows() const { return m_has_frame && m_texture.direct_in_rows(); }
    // The frame on screen, if any: its pts, and its time in its file (the captions').
    bool has_frame() const { return m_has_frame; }
    double frame_pts() const { return m_frame_pts; }
    double frame_in_file() const { return m_frame_in_file; }
    // After a present: the pts of the frame it showed first, when it was a new one.
    std::optional<double> presented();
    // With wait_for_first, after the present that put the first frame on screen at
    // `shown`: the clock starts from there rather than from when the frame was taken
    // (a first picture takes a while: the window's memory touched, textures made),
    // so that the frames after it are not late for it; `end` moves with it. Returns
    // whether it was that present: held() is then how long the clock waited in all.
    bool first_frame_shown(Clock::time_point shown, Clock::time_point& end);
    // Composed ahead, shown on time: a frame is taken lead() before it is due,
    // drawn, and shown at its time, so that what composing takes (converting 1080p,
    // scaling) does not make it late. The lead follows what composing took lately
    // here (the longest, forgotten slowly), plus a margin for the loop's wake-up.
    Clock::duration lead() const;
    // An item's first frame is taken earlier still, with the boundary before it
    // (Playback::boundary_due): the next item's work is done by its time, and a
    // first frame costs more to compose (a new converter or texture, another
    // size, pixels long out of the cache: 3-8 ms late for a 720p video after a
    // 1080p one when drawn as taken).
    Clock::duration first_frame_lead() const { return lead() + kFirstFrameLead; }
    static constexpr auto kFirstFrameLead = std::chrono::milliseconds(8);
    // The frame taken is drawn (at `composed`): waits until it is due, an item's
    // first frame to the microsecond (kFirstFrameSpin).
    void show_on_time(Clock::time_point composed);
    // The last item's frame, once this item's first is up: the last reference to its
    // closed decoder's pictures, which it frees (a millisecond or more).
    FramePtr take_retired() { return m_frame_pending ? nullptr : std::move(m_retired); }

    // The item ends at `boundary`, not failed: the frames due before it that never
    // were taken (queued, or not yet decoded: a decoder or a loop held up for longer
    // than the late allowance) are counted as dropped, so that every frame due is
    // either shown or counted. Frames not yet decoded are counted at the pace of the
    // last one taken, up to the file's end for a video played whole.
    void finish(Clock::time_point boundary, VideoSource& source);

    // When the next frame is due (or the decoder looked at again).
    Clock::time_point next_deadline(Clock::time_point now, VideoSource& source) const;
    long frames_presented() const { return m_frames_presented; }
    long frames_dropped() const { return m_frames_dropped; }
    const VideoInfo& info() const { return m_info; }

private:
    void follow_sound(Clock::time_point now, VideoSource& source, Clock::time_point& end);
    void move_end(Clock::time_point& end, Clock::duration by);
    void hold_end_for_last_frames(Clock::time_point now, VideoSource& source, const Item& item,
                                  Clock::time_point& end);
    void hold_clock_for_first_frame(Clock::time_point now, VideoSource& source,
                                    Clock::time_point& end);
    bool take_due_frame(Clock::time_point now, VideoSource& source, const Item& item);
    Step watch_wait(Clock::time_point now, VideoSource& source, const Item& item,
                    Clock::time_point& end);
    Step fail(std::string why, Step step = Step::Failed);
    // How long before its time the next frame is taken: lead(), or first_frame_lead().
    Clock::duration taking_lead() const { return m_has_frame ? lead() : first_frame_lead(); }
    Size display_size(int width, int height) const;

    Output& m_output;
    AudioOutput* m_audio;
    VideoTexture m_texture;
    std::set<std::string> m_logged_notes; // decoder notes are logged once, not per item
    std::string m_why;

    // The item on screen.
    Clock::time_point m_clock_start;         // when pts 0 is due
    Clock::time_point m_planned_clock_start; // ... as the plan has it
    bool m_wait_for_first = false;           // the clock waits for the first frame, until it is up
    bool m_plays_whole = false;              // from its start to its end, not cut
    Clock::duration m_whole_length{};        // ... that long from pts 0
    bool m_failed = false;                   // pump() said Failed
    double m_offset = 0;                     // seconds into its file the video was joined at
    Clock::duration m_late_allowance{};      // how much later than planned it may still end
    Clock::duration m_sound_moved_end{};     // how much of that the sound's clock has taken
    Clock::time_point m_wait_since;          // when it last made a frame, or began
    bool m_has_frame = false;                // m_texture holds a frame of this item
    bool m_first_taken = false;              // FirstFrame was returned
    VideoInfo m_info;                        // this item's, taken with its first frame
    double m_frame_pts = 0;
    double m_frame_in_file = 0;
    double m_frame_duration = 0;        // seconds the last frame taken stays up
    Clock::time_point m_last_frame_end; // when the last frame taken stops being current
    bool m_frame_pending = false;       // a new frame is uploaded, not yet presented
    bool m_holding_core = false;        // hold_the_core() until the frame is presented
    Clock::time_point m_taken_at;       // when the loop took it
    Clock::duration m_composing;        // how long composing a frame took lately (lead())
    std::string m_first_frame_note;     // the item's decoder and path, logged once presented
    FramePtr m_retired;                 // the last item's frame, let go once presented
    long m_frames_presented = 0;
    long m_frames_dropped = 0;
};

} // namespace milepost
