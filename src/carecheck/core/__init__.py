"""The pure core: definitions, conditions, answers, compiling, assessing, results and their plain words.

Questionnaire + rules + answers -> result, with no files, no terminal, no clock and no environment: the core is
handed what it needs. It imports only itself and the standard library.
"""
