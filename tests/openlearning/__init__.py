"""Tests of the OpenLearning face."""
