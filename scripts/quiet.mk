# SPDX-License-Identifier: GPL-2.0
# Quiet recipes like kbuild's, for selftests/ and userspace/: "  CC      FILE"
# instead of the compiler command; nothing with make -s; V=1 shows the
# commands. A recipe says what it makes with $(say) and runs its command
# with $(Q).
ifeq ($(V),1)
Q :=
say := @:
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
say := @:
else
Q := @
say := @printf '  %-7s %s\n'
endif
