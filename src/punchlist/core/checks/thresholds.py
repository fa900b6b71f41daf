"""The numbers behind the judgement checks, with why each was chosen. Changing one changes what users see."""

# missing-milestones: a plan longer than a quarter needs interim milestones with dates to show progress
# (R-CONT-3: "milestones to measure progress"; R-CONT-4: "any milestones in meeting the tasks").
MILESTONE_SPAN_DAYS = 90

# stale-item: an open item nobody has touched for over a month is not being worked; the plan is to be
# "updated as milestones are reached" (R-CONT-3).
STALE_DAYS = 30

# owner-concentration: one person is primary owner of at least this share of at least this many open items.
# Five items is where a share starts to mean something (3 of 4 is noise); 60% is a clear majority, more than one
# person plausibly carries while keeping every date, and what an assessor who interviews the owners (R-CONT-5)
# will question: R-CONT-3 asks who is responsible for each step. Teams are not counted as the one person (they
# are generic-owner findings of their own), but their items count in the whole.
CONCENTRATION_MIN_ITEMS = 5
CONCENTRATION_SHARE = 0.6

# uniform-dates: one scheduled completion date on at least this share of at least this many dated open items.
# Dates planned item by item spread out; 80% on one day means one deadline was typed down the column.
UNIFORM_MIN_ITEMS = 4
UNIFORM_SHARE = 0.8
