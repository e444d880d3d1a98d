"""Placeholder until the sign-in and account views land."""

from django.http import HttpResponse

from masthead.readers.sessions import current_reader, reader_required


@reader_required
def account(request):
    return HttpResponse(current_reader(request).email)


def sign_in(request):
    return HttpResponse("sign in")
