"""The legacy REST faces. Each module maps its documented paths onto resolvers.

FACES is ordered: on the main port, a face whose paths collide with an
earlier face's is served only on its own port (and under /compat/<face>/).
"""

from rest_compat.codelabs import FACE as CODELABS
from rest_compat.openlearning import FACE as OPENLEARNING
from rest_compat.openlesson import FACE as OPENLESSON
from rest_compat.pickatale import FACES as PICKATALE
from rest_compat.twosigma import FACE as TWOSIGMA

FACES = [OPENLEARNING, TWOSIGMA, OPENLESSON, *PICKATALE, CODELABS]
