# Makes a program's man page from its usage text, the one source that is also its
# --help (see cmake/usage.cmake). Run as a script:
#   cmake -DIN=milepost-player.txt -DOUT=milepost-player.1 -DNAME=milepost-player
#         -DSUMMARY="plays a Milepost channel on this screen" -DVERSION=0.1.0
#         -DSEE_ALSO="milepost-sync(1)" -P cmake/manpage.cmake
# The text keeps its own layout (it is written for an 80-column terminal): it goes
# into no-fill blocks, a heading line ending in ":" at the left margin ("Options:")
# becomes a section of its own, and roff's special characters are escaped.
foreach(var IN ITEMS IN OUT NAME SUMMARY VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "manpage.cmake: -D${var}= is required")
  endif()
endforeach()
file(READ "${IN}" text)
string(REGEX REPLACE "\n+$" "" text "${text}")
# roff: a backslash is \e, a minus sign \- (options stay copyable), and a line
# must not start with a control character.
string(REPLACE "\\" "\\e" text "${text}")
string(REPLACE "-" "\\-" text "${text}")
string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
# Headings at the left margin ("Options:", "Exit status:" alone on a line).
string(REGEX REPLACE "\n\n([A-Z][A-Za-z ]*):\n" "\n.fi\n.SH \\1\n.nf\n" text "${text}")
# Headings in capitals, as man pages have them.
string(REGEX MATCHALL "\n\\.SH [^\n]+" heads "${text}")
foreach(head IN LISTS heads)
  string(TOUPPER "${head}" upper)
  string(REPLACE "${head}" "${upper}" text "${text}")
endforeach()
# "Usage:" and the lines after it, to the first blank line, are the synopsis.
set(synopsis "")
if(text MATCHES "^Usage:")
  string(FIND "${text}" "\n\n" cut)
  string(SUBSTRING "${text}" 0 ${cut} synopsis)
  math(EXPR rest_at "${cut} + 2")
  string(SUBSTRING "${text}" ${rest_at} -1 text)
  string(REGEX REPLACE "^Usage: *\n?" "" synopsis "${synopsis}")
  set(synopsis ".SH SYNOPSIS\n.nf\n${synopsis}\n.fi\n")
endif()
string(TOUPPER "${NAME}" title)
string(REPLACE "-" "\\-" name_roff "${NAME}")
set(page ".TH ${title} 1 \"\" \"milepost ${VERSION}\" \"Milepost manual\"
.SH NAME
${name_roff} \\- ${SUMMARY}
${synopsis}.SH DESCRIPTION
.nf
${text}
.fi
")
if(SEE_ALSO)
  string(APPEND page ".SH SEE ALSO\n${SEE_ALSO}\n")
endif()
string(APPEND page ".SH GUIDES\n/usr/share/doc/milepost: operators.md, publishers.md, provisioning.md,\ncoordinators.md\n")
file(WRITE "${OUT}" "${page}")
