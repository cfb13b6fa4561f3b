# Included by ctest (the directory's TEST_INCLUDE_FILES): the tests of what is
# drawn (slides, the banner, rotation, text read by OCR, the test pattern, video:
# player_render.cpp and player_video.cpp) once more, as "integration gles2: NAME",
# every player they start drawing with --renderer gles2 (MILEPOST_TEST_RENDERER,
# read by tests/integration/PlayerRun.hpp): SDL's OpenGL ES 2 renderer offscreen,
# the path a Raspberry Pi draws through, here on Mesa's llvmpipe.
# Left out: the tap and diagnostics screens' tests (40 s between them, and about
# when overlays come and go; what they draw is drawn by the tests here), and the
# banner kept over frames written straight onto the screen (27 s, waiting out the
# hotline screen; OpenGL draws every frame whole through a texture), and the tests
# of what plays when, not of how it is drawn: the player held up past a video's end
# (counting frames; 9 s), broken files skipped, a video held up (once and again),
# the threads' priorities, duration's loop and cut, and
# --hwdec's fallback (17 s of this pass's 105 in a clean-clone run), and the timing
# test's clips (no player at all).
# Label gles2: the main pass runs them, the sanitizer pass does not. Each runs
# alone (RUN_SERIAL): llvmpipe draws on the CPU, and beside two other tests on two
# cores their frames came late enough to fail timing and snapshot checks in CI.
include("${CMAKE_CURRENT_LIST_DIR}/../support/listed-cases.cmake")
add_listed_cases(PREFIX "integration gles2: " ENV MILEPOST_TEST_RENDERER=gles2 LABEL gles2
  LIST_ARGS "--source-file=*player_render.cpp,*player_video.cpp"
    "--test-case-exclude=a tap shows the hotline*,F1 and a 5-second press*,a video frame is drawn up to the banner*,a player held up past*,broken files are skipped within a second*,a video held up*,the player's decoding*,duration loops a short video*,--hwdec falls back*,the timing test's clips*"
  PROPERTIES RUN_SERIAL TRUE)
