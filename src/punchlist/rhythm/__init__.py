"""The rhythm that keeps a POA&M alive: the weekly owner update, the monthly management review,
the quarterly validation of closed items, and the reminders by email and calendar that bring people to them."""
