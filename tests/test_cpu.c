/*
 * test_cpu.c — nc_cpu_count (core/cpu.h): the cores of the process's
 * affinity mask, so that pinning the process to one core makes it 1.
 */
#include <check.h>
#include <sched.h>
#include <stdlib.h>

#include "core/cpu.h"

START_TEST(test_cpu_count)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
    ck_assert_int_ge(nc_cpu_count(), 1);
    ck_assert_int_eq(nc_cpu_count(), CPU_COUNT(&set));
    /* Pinned to the first core it may use (Check runs each test in a child
     * process, so the pinning ends with it). */
    int first = 0;
    while (!CPU_ISSET(first, &set))
        first++;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
    ck_assert_int_eq(nc_cpu_count(), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cpu");
    TCase *tc = tcase_create("cpu");
    tcase_add_test(tc, test_cpu_count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
