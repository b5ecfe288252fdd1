/* The guest's name for its result line, set per guest by the build (-DTEST_NAME). */
#ifndef TEST_NAME
#error "build with -DTEST_NAME=\"<guest>\""
#endif
const char test_name[] = TEST_NAME;
