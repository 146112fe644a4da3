//! Unit tests of the simulated RM.
