/* Boot-time self-tests chosen on the command line, for system tests and diagnosis. */
#ifndef TERN_SELFTEST_H
#define TERN_SELFTEST_H

void selftests_start(void);
void console_input(int c);

#endif
