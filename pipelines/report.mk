# report.mk: the test-set report (included by selflabel.mk).
