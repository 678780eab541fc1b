"""What a run found, said to a person: the report and the misconceptions.

:mod:`.report` holds the rows of a run, its diagnosis (the root cause among the
failing rows, by the proof's dependencies) and its renderings (text, JSON);
:mod:`.misconceptions` names the catalogued mistake that explains a
counterexample.
"""
