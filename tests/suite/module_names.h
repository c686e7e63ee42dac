/* The exports of tests/suite/module_names_lib.c, for the names tests of
   tests/suite/module_policy.c (clrhost_task_describe_target): a short one,
   and one whose name is 305 characters long, longer than any fixed
   buffer a describer might keep for it. */
#ifndef MODULE_NAMES_H
#define MODULE_NAMES_H

#define NAMES_PASTE_(a, b) a##b
#define NAMES_PASTE(a, b) NAMES_PASTE_(a, b)
#define NAMES_STRING_(a) #a
#define NAMES_STRING(a) NAMES_STRING_(a)

#define NAMES_LONG_EXPORT \
    NAMES_PASTE(NAMES_PASTE(NAMES_PASTE(NAMES_PASTE( \
        names_long_export_name_part_one_abcdefghijklmnopqrstuvwxyz01, \
        _part_two_abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop), \
        _part_three_abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklm), \
        _part_four_abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn), \
        _part_five_abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn)
#define NAMES_LONG_EXPORT_STRING NAMES_STRING(NAMES_LONG_EXPORT)
#define NAMES_LONG_EXPORT_LENGTH 305

#endif
